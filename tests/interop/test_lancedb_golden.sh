#!/usr/bin/env bash
# Golden interop with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0), for each version:
#   1. LanceDB writes the big golden tables (tests/data/lancedb/make_golden.mjs --big:
#      every type over 4 fragments of 5,000 rows with deletions, 3 fragments of 12,000
#      rows with more than 5,000 deletions each (bitmap deletion files), strings over
#      32 KiB, 128-d vectors) and dumps its own reading as JSONL; `geneva scan --format
#      jsonl` must read the same rows and values. A table whose pages use an encoding
#      our reader does not decode yet is reported ("not decoded yet: ...", naming the
#      encoding) and not counted as a failure; any other error or difference is.
#      (The small golden tables are committed and checked by test_lancedb_golden_all.)
#   2. Stable row ids: LanceDB creates a table with new_table_enable_stable_row_ids,
#      deletes and updates rows; `geneva import` appends 40 rows; LanceDB reads the table
#      with _rowid (distinct, LanceDB's rows keep theirs, ours continue from its
#      next_row_id), takes one of our rows by row id, updates it (the id stays) and
#      appends (ids continue after ours) (lancedb_golden.mjs); then `geneva scan
#      --with-row-id` must read LanceDB's rows and _rowid values (only id and _rowid when
#      a column uses an encoding we do not decode yet).
#
#   bash test_lancedb_golden.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# Same conventions as test_lancedb.sh: GNV_TEST_CLI, GNV_LANCEDB_VERSIONS, GNV_NPM_CACHE;
# exits 77 (skipped) without node/npm or the packages, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-golden

interop_need_node

lancedb_npm_setup "$SRC"/tests/interop/lancedb_golden.mjs \
    "$SRC"/tests/interop/arrow_js_common.mjs "$SRC"/tests/interop/arrow_js_compare.mjs \
    "$SRC"/tests/data/lancedb/make_golden.mjs

rm -rf "$WORK"
mkdir -p "$WORK/out"
notes=()
echo '{"vec":32,"f32":32,"fsl":32}' >"$WORK/floats.json"

# scan_compare NPM DB TABLE EXPECTED.jsonl [SCAN OPTIONS...]: geneva reads what LanceDB read.
scan_compare() {
    local npm=$1 db=$2 tb=$3 exp=$4 out
    shift 4
    out=$WORK/out/$(basename "$db").$tb.jsonl
    checks=$((checks + 1))
    if geneva scan "$db" "$tb" --format jsonl "$@" >"$out" 2>"$out.err"; then
        node "$npm/arrow_js_compare.mjs" rows "$exp" "$out" "$WORK/floats.json" ||
            fail "geneva scan $tb differs from LanceDB's reading ($db)"
        return 0
    fi
    if grep -q "unsupported Lance encoding '[^']*'" "$out.err"; then
        notes+=("$(basename "$db")/$tb not decoded yet: $(head -c 300 "$out.err")")
        return 2
    fi
    fail "geneva scan $tb ($db): $(head -c 500 "$out.err")"
    return 1
}

for v in $VERSIONS; do
    NPM=$(lancedb_npm_dir "$NPMBASE" "$v")
    DB=$WORK/db-$v
    EXP=$WORK/expected-$v
    echo "== LanceDB $v"
    echo "-- 1. big golden tables"
    checks=$((checks + 1))
    if ! (cd "$NPM" && node make_golden.mjs "$DB" "$EXP" --big) >"$WORK/out/make-$v.log" 2>&1; then
        fail "LanceDB $v could not write the golden tables: $(grep -v WARN "$WORK/out/make-$v.log" | head -c 800)"
        continue
    fi
    for f in "$EXP"/*.jsonl; do
        tb=$(basename "$f" .jsonl)
        scan_compare "$NPM" "$DB" "$tb" "$f"
    done

    echo "-- 2. stable row ids"
    tb=stable
    checks=$((checks + 1))
    if ! (cd "$NPM" && node lancedb_golden.mjs stable-create "$DB" "$tb" "$WORK/out/$tb-$v.more.jsonl") \
        >"$WORK/out/$tb-$v.log" 2>&1; then
        fail "LanceDB $v stable-create: $(grep -v WARN "$WORK/out/$tb-$v.log" | head -c 800)"
        continue
    fi
    checks=$((checks + 1))
    geneva import "$DB" "$tb" "$WORK/out/$tb-$v.more.jsonl" \
        --types 'id:int64,name:utf8,v:float64' -q >"$WORK/out/$tb-$v.import.log" 2>&1 ||
        { fail "geneva import into a stable-row-id table: $(head -c 500 "$WORK/out/$tb-$v.import.log")"; continue; }
    checks=$((checks + 1))
    if ! (cd "$NPM" && node lancedb_golden.mjs stable-check "$DB" "$tb" "$WORK/out/$tb-$v.jsonl") \
        >"$WORK/out/$tb-$v.check.log" 2>&1; then
        fail "LanceDB $v after geneva's append to a stable-row-id table: $(grep -v WARN "$WORK/out/$tb-$v.check.log" | head -c 1500)"
        continue
    fi
    scan_compare "$NPM" "$DB" "$tb" "$WORK/out/$tb-$v.jsonl" --with-row-id
    if [ $? = 2 ]; then # a column we cannot decode yet: the ids alone
        scan_compare "$NPM" "$DB" "$tb" "$WORK/out/$tb-$v.jsonl.ids" --columns id,_rowid
    fi
done

for n in "${notes[@]}"; do
    echo "note: $n"
done
if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB golden checks passed (${#notes[@]} tables not decoded yet)"
