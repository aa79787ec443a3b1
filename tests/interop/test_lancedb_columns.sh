#!/usr/bin/env bash
# Interop of schema changes with LanceDB (npm @lancedb/lancedb, the pinned versions of
# test_lancedb.sh), for each version and each storage version (2.1, 2.2):
#   1. geneva creates the products table in fragments of 6 rows, then changes its
#      columns: add-column (SQL, and CAST(NULL ...) without data), alter-column
#      (rename; non-nullable, which rewrites the column; a cast when the build has
#      them), drop-column. After each change LanceDB reads the schema (names, types,
#      nullability), every row and value (as `geneva scan --format jsonl` prints them)
#      and countRows().
#   2. LanceDB checks out version 1 and reads the original rows (time travel).
#   3. LanceDB appends a row to the changed table; `geneva scan` reads every row as
#      LanceDB does (our reader must follow LanceDB's data files for the new schema).
#
#   bash test_lancedb_columns.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions; GNV_NPM_CACHE shares the npm
# installs between build dirs. Exits 77 (ctest: skipped) when node/npm are missing or
# the packages cannot be installed, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-columns
SAMPLE=$SRC/tests/data/sample

interop_need_node
lancedb_npm_setup "$SRC"/tests/interop/lancedb_columns.mjs \
    "$SRC"/tests/interop/arrow_js_common.mjs "$SRC"/tests/interop/arrow_js_compare.mjs

rm -rf "$WORK"
mkdir -p "$WORK"
# geneva ARGS...: run the CLI quietly; a failure is reported with its message.
geneva() {
    if ! "$CLI" "$@" >"$WORK/out" 2>"$WORK/err"; then
        fail "geneva $*: $(cat "$WORK/err")"
        return 1
    fi
}

for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    for sv in 2.1 2.2; do
        db=$WORK/db-$v-$sv
        t=products
        echo "== LanceDB $v, storage $sv"
        geneva create "$db" $t --from "$SAMPLE/products.csv" --storage-version "$sv" \
            --max-rows-per-file 6 || continue
        "$CLI" scan "$db" $t --format jsonl >"$WORK/v1.jsonl"
        # lancedb_check STEP SCHEMA: LanceDB reads the latest version as geneva does.
        lancedb_check() {
            "$CLI" scan "$db" $t --format jsonl >"$WORK/exp.jsonl" ||
                { fail "$1: geneva scan"; return; }
            node "$d/lancedb_columns.mjs" read "$db" $t "$WORK/exp.jsonl" "$2" \
                2>"$WORK/node.err" || fail "$1 (LanceDB $v, storage $sv): $(head -c 3000 "$WORK/node.err")"
        }
        base="id:Int64,name:Utf8,description:Utf8,price:Float64,in_stock:Bool,added:Date32<DAY>,tags:Utf8"
        geneva add-column "$db" $t price2 --sql 'price * 2 + id' &&
            lancedb_check "add-column price2" "$base,price2:Float64"
        geneva add-column "$db" $t later --sql 'CAST(NULL AS STRING)' &&
            lancedb_check "add-column later (NULL)" "$base,price2:Float64,later:Utf8"
        geneva add-column "$db" $t label --sql "concat(name, ' #', CAST(id AS STRING))" &&
            lancedb_check "add-column label" "$base,price2:Float64,later:Utf8,label:Utf8"
        geneva alter-column "$db" $t name --rename title &&
            lancedb_check "rename" \
                "${base/name:/title:},price2:Float64,later:Utf8,label:Utf8"
        geneva alter-column "$db" $t id --nullable false &&
            lancedb_check "id not null" \
                "${base/id:Int64,name:/id:Int64!,title:},price2:Float64,later:Utf8,label:Utf8"
        geneva drop-column "$db" $t description tags later &&
            lancedb_check "drop-column" \
                "id:Int64!,title:Utf8,price:Float64,in_stock:Bool,added:Date32<DAY>,price2:Float64,label:Utf8"
        cur="id:Int64!,title:Utf8,price:Float64,in_stock:Bool,added:Date32<DAY>,price2:Float64,label:Utf8"
        if "$CLI" alter-column "$db" $t price2 --cast float32 >"$WORK/out" 2>"$WORK/err"; then
            cur=${cur/price2:Float64/price2:Float32}
            lancedb_check "cast price2 to float32" "$cur"
            geneva alter-column "$db" $t id --cast int32 --rename ident &&
                cur=${cur/id:Int64!/ident:Int32!} && lancedb_check "cast id to int32" "$cur"
        elif grep -q "not supported" "$WORK/err"; then
            echo "   (casts are not supported by this build: skipped)"
        else
            fail "alter-column --cast: $(cat "$WORK/err")"
        fi
        node "$d/lancedb_columns.mjs" version "$db" $t 1 "$WORK/v1.jsonl" 2>"$WORK/node.err" ||
            fail "time travel to version 1 (LanceDB $v, storage $sv): $(head -c 3000 "$WORK/node.err")"
        # LanceDB appends under the new schema; we read what it wrote
        if node "$d/lancedb_columns.mjs" append "$db" $t "$WORK/lance.jsonl" 2>"$WORK/node.err"; then
            if "$CLI" scan "$db" $t --format jsonl >"$WORK/ours.jsonl" 2>"$WORK/err"; then
                node -e '
                    import("'"$d"'/arrow_js_common.mjs").then(({ compareJsonl }) => {
                        const fs = require("node:fs");
                        const d = compareJsonl(fs.readFileSync(process.argv[1], "utf8"),
                            fs.readFileSync(process.argv[2], "utf8"), { price2: 32 });
                        if (d.length) { console.error(d.slice(0, 10).join("\n")); process.exit(1); }
                    });' "$WORK/lance.jsonl" "$WORK/ours.jsonl" 2>"$WORK/node.err" ||
                    fail "geneva scan after LanceDB's append differs: $(cat "$WORK/node.err")"
            elif grep -q "unsupported Lance encoding" "$WORK/err"; then
                echo "   (geneva cannot decode LanceDB's appended fragment: $(cat "$WORK/err"))"
            else
                fail "geneva scan after LanceDB's append: $(cat "$WORK/err")"
            fi
        else
            fail "LanceDB append (LanceDB $v, storage $sv): $(head -c 3000 "$WORK/node.err")"
        fi
    done
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "LanceDB reads every schema change"
