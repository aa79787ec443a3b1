#!/usr/bin/env bash
# Interop with LanceDB (npm @lancedb/lancedb, two pinned versions: 0.37.1 writes Lance
# file version 2.1, 0.39.0 writes 2.2), for each version:
#   1. geneva creates tables (storage 2.1 and 2.2) of every type from gen_all_types,
#      and a vector table, in fragments of 7 rows, then appends twice (3 versions);
#      LanceDB reads every value, countRows (with a filter), listVersions, and a
#      vector search is checked against brute force (lancedb_check.mjs read).
#      Not checked: the column ts_ns_tz (timestamp[ns, tz=+05:30]) — Lance cannot
#      store a zone with ':' (see DROPPED in lancedb_check.mjs). The large_list table
#      (geneva_large) is read through a cast to List: Arrow JS 18 has no LargeList.
#      geneva_more (fixed-size lists of bools and of fixed-size lists, nulls at every
#      level, in lists and structs) and a table created and appended through the C API
#      from dictionary-encoded strings (gen_lance_tables dict-table) are read too (and
#      geneva_more by `geneva scan` as well).
#   2. LanceDB appends to our table and deletes "id % 7 = 3"; `geneva count` must equal
#      LanceDB's count and `geneva scan` exactly LanceDB's rows (LanceDB's fragments use
#      its default encodings: bitpacking, RLE, FSST, dictionaries, compressed levels...);
#      the version before LanceDB's commits must still read exactly.
#   3. LanceDB creates a table; `geneva import` appends rows from JSONL; LanceDB reads
#      every row and a vector search; `geneva count` agrees; our data file's footer has
#      LanceDB's file version (2.1 for 0.37.1, 2.2 for 0.39.0); `geneva scan` reads
#      all rows exactly, LanceDB's and ours.
#   4. Appends through a backend that crashes at several points (gen_lance_tables,
#      operations 1, 2, half, last-1, last of the append): LanceDB then sees exactly
#      the previous version's rows, or all of the new version's when the crash came
#      after the manifest commit (only the best-effort version hint was lost).
#
#   bash test_lancedb.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_TEST_CLI=PATH runs another geneva binary than the one ctest passes;
# GNV_LANCEDB_VERSIONS="0.39.0" limits the LanceDB versions. Exits 77 (ctest: skipped)
# when node/npm are missing or the packages cannot be installed, unless
# GNV_INTEROP_REQUIRED=1, which turns those into failures.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb
GEN=$BUILD/gen_all_types
HELPER=$BUILD/gen_lance_tables

interop_need_node
for b in "$GEN" "$HELPER"; do
    [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done

# Install each LanceDB version (with its apache-arrow peer) once per build dir; the
# scripts import the packages, which node resolves from the script's directory.
lancedb_npm_setup "$SRC"/tests/interop/lancedb_*.mjs \
    "$SRC"/tests/interop/arrow_js_common.mjs "$SRC"/tests/interop/arrow_js_compare.mjs

rm -rf "$WORK"
mkdir -p "$WORK/gen" "$WORK/out"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

"$GEN" "$WORK/gen" >/dev/null || { echo "FAIL: gen_all_types failed"; exit 1; }
first=$(echo "$VERSIONS" | awk '{print $1}')
node "$NPMBASE/npm-lancedb-$first/lancedb_check.mjs" prep "$WORK/gen/geneva_all.arrow" "$WORK/gen" ||
    { echo "FAIL: lancedb_check.mjs prep failed"; exit 1; }
G=$WORK/gen

# The Lance file version a data file's footer records ("2.1").
footer() { tail -c 8 "$1" | od -An -tu2 -N4 | awk '{print $1 "." $2}'; }

# check_file_versions TABLE_DIR VERSION: every data file of the table has VERSION.
check_file_versions() {
    local f fv
    checks=$((checks + 1))
    for f in "$1"/data/*.lance; do
        fv=$(footer "$f")
        if [ "$fv" != "$2" ]; then
            fail "$f records file version $fv, expected $2"
            return
        fi
    done
}

# A file of N copies of a JSONL file.
repeat() {
    local n=$1 f=$2 i
    for i in $(seq "$n"); do cat "$f"; done
}

for v in $VERSIONS; do
    t0=$(now)
    NPM=$NPMBASE/npm-lancedb-$v
    CHECK="node $NPM/lancedb_check.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"

    echo "-- 1. geneva writes, LanceDB reads"
    for sv in 2.1 2.2; do
        for name in all vec; do
            tb=${name}_${sv/./}
            run "geneva create $tb" geneva create "$DB" "$tb" --from "$G/$name.arrow" \
                --storage-version "$sv" --max-rows-per-file 7 -q || continue
            run "geneva import $tb" geneva import "$DB" "$tb" "$G/$name.arrow" \
                --max-rows-per-file 7 -q
            run "geneva import $tb" geneva import "$DB" "$tb" "$G/$name.arrow" -q
            check_file_versions "$DB/$tb.lance" "$sv"
            repeat 3 "$G/$name.jsonl" >"$WORK/out/$tb.3.jsonl"
            run "LanceDB $v reads $tb" $CHECK read "$DB" "$tb" "$WORK/out/$tb.3.jsonl" 3
        done
        # large_list: Arrow JS 18 has no LargeList; LanceDB casts it to List for us.
        tb=large_${sv/./}
        run "geneva create $tb" geneva create "$DB" "$tb" --from "$G/geneva_large.arrow" \
            --storage-version "$sv" --max-rows-per-file 5 -q &&
            run "LanceDB $v reads $tb" $CHECK read-large "$DB" "$tb" "$G/geneva_large.jsonl"
        tb=more_${sv/./}
        run "geneva create $tb" geneva create "$DB" "$tb" --from "$G/geneva_more.arrow" \
            --storage-version "$sv" --max-rows-per-file 7 -q &&
            run "LanceDB $v reads $tb" $CHECK read "$DB" "$tb" "$G/geneva_more.jsonl" 1 &&
            run "geneva scan $tb" geneva scan "$DB" "$tb" --format jsonl -o "$WORK/out/$tb.jsonl" &&
            run "geneva reads back $tb" node "$NPM/arrow_js_compare.mjs" rows \
                "$G/geneva_more.jsonl" "$WORK/out/$tb.jsonl" "$G/geneva_more.floats.json"
        tb=dict_${sv/./}
        run "gen_lance_tables dict-table $tb" "$HELPER" dict-table "$DB" "$tb" "$sv" \
            "$WORK/out/$tb.jsonl" &&
            run "LanceDB $v reads $tb" $CHECK read "$DB" "$tb" "$WORK/out/$tb.jsonl" 2
    done
    echo "   $(elapsed "$t0")"

    echo "-- 2. LanceDB appends and deletes, geneva reads"
    for sv in 2.1 2.2; do
        tb=all_${sv/./}
        ours=$(geneva count "$DB" "$tb" --version 3)
        run "LanceDB $v appends to and deletes from $tb" \
            $CHECK modify "$DB" "$tb" "$G/all.arrow" "$WORK/out/$tb.lancedb.jsonl" || continue
        want=$(tail -n 1 "$WORK/out/run.$checks.log")
        checks=$((checks + 1))
        got=$(geneva count "$DB" "$tb" 2>&1)
        [ "$got" = "$want" ] || fail "geneva count $tb after LanceDB's delete: $got, LanceDB: $want"
        checks=$((checks + 1))
        out=$WORK/out/$tb.geneva.jsonl
        if geneva scan "$DB" "$tb" --format jsonl >"$out" 2>"$out.err"; then
            node "$NPM/arrow_js_compare.mjs" rows "$WORK/out/$tb.lancedb.jsonl" "$out" \
                "$G/all.floats.json" || fail "geneva scan $tb differs from LanceDB's rows"
        else
            fail "geneva scan $tb after LanceDB's changes: $(head -n 3 "$out.err")"
        fi
        # And the version before LanceDB's changes is untouched.
        checks=$((checks + 1))
        repeat 3 "$G/all.jsonl" >"$WORK/out/$tb.v3.jsonl"
        geneva scan "$DB" "$tb" --version 3 --format jsonl >"$out.v3" 2>&1 &&
            node "$NPM/arrow_js_compare.mjs" rows "$WORK/out/$tb.v3.jsonl" "$out.v3" \
                "$G/all.floats.json" ||
            fail "geneva scan $tb --version 3 does not match what geneva wrote"
        [ -n "$ours" ] || fail "geneva count $tb --version 3 failed"
    done
    echo "   $(elapsed "$t0")"

    echo "-- 3. LanceDB creates, geneva imports, LanceDB reads"
    tb=lancedb_made
    run "LanceDB $v creates $tb" $CHECK create "$DB" "$tb" "$WORK/out/$tb.first.jsonl" \
        "$WORK/out/$tb.more.jsonl"
    ls "$DB/$tb.lance/data" >"$WORK/out/$tb.files.before" 2>/dev/null
    run "geneva import into LanceDB's $tb" geneva import "$DB" "$tb" "$WORK/out/$tb.more.jsonl" \
        --types 'id:int64,name:utf8,score:float64,vec:fixed_size_list<float32, 4>' -q
    cat "$WORK/out/$tb.first.jsonl" "$WORK/out/$tb.more.jsonl" >"$WORK/out/$tb.all.jsonl"
    run "LanceDB $v reads $tb after geneva import" \
        $CHECK read "$DB" "$tb" "$WORK/out/$tb.all.jsonl" 2
    checks=$((checks + 1))
    got=$(geneva count "$DB" "$tb" 2>&1)
    [ "$got" = 80 ] || fail "geneva count $tb: expected 80, got $got"
    # geneva reads the whole table: LanceDB's fragment and ours.
    checks=$((checks + 1))
    out=$WORK/out/$tb.geneva.jsonl
    echo '{"vec": 32}' >"$WORK/out/$tb.floats.json"
    if geneva scan "$DB" "$tb" --format jsonl >"$out" 2>"$out.err"; then
        node "$NPM/arrow_js_compare.mjs" rows "$WORK/out/$tb.all.jsonl" "$out" \
            "$WORK/out/$tb.floats.json" ||
            fail "geneva scan $tb differs from the rows LanceDB wrote and geneva imported"
    else
        fail "geneva scan $tb: $(head -n 3 "$out.err")"
    fi
    # Our data file's footer must carry the version LanceDB's files have.
    checks=$((checks + 1))
    theirs= mine=
    for f in "$DB/$tb.lance"/data/*.lance; do
        if grep -qxF "$(basename "$f")" "$WORK/out/$tb.files.before"; then
            theirs=$(footer "$f")
        else
            mine=$(footer "$f")
        fi
    done
    [ -n "$mine" ] && [ "$mine" = "$theirs" ] ||
        fail "file version of geneva's data file in $tb: '$mine', LanceDB's: '$theirs'"
    echo "   file versions: LanceDB $theirs, geneva $mine; $(elapsed "$t0")"

    echo "-- 4. crash during an append, LanceDB reads"
    src=vec_22
    cp -r "$DB/$src.lance" "$WORK/out/probe.lance"
    ops=$("$HELPER" crash-append "$WORK/out" probe "$G/vec.arrow" 0 2>&1)
    rm -rf "$WORK/out/probe.lance"
    checks=$((checks + 1))
    if ! [ "$ops" -gt 2 ] 2>/dev/null; then
        fail "gen_lance_tables could not count the operations of an append: $ops"
    else
        for nth in 1 2 $((ops / 2)) $((ops - 1)) "$ops"; do
            rm -rf "$WORK/out/crash.lance"
            cp -r "$DB/$src.lance" "$WORK/out/crash.lance"
            # Exit 3: the crash came after the commit, so the append is all there.
            checks=$((checks + 1))
            "$HELPER" crash-append "$WORK/out" crash "$G/vec.arrow" "$nth" \
                >"$WORK/out/crash.$nth.log" 2>&1
            case $? in
            0) nv=3 ;;
            3) nv=4 ;;
            *) fail "append crashing at operation $nth of $ops: $(cat "$WORK/out/crash.$nth.log")"
               continue ;;
            esac
            repeat "$nv" "$G/vec.jsonl" >"$WORK/out/crash.$nth.jsonl"
            run "LanceDB $v reads the table after a crash at operation $nth of $ops" \
                $CHECK read "$WORK/out" crash "$WORK/out/crash.$nth.jsonl" "$nv"
        done
    fi
    echo "   $(elapsed "$t0") for LanceDB $v"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB interop checks passed"
