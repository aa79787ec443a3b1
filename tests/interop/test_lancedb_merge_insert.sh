#!/usr/bin/env bash
# Differential test of merge-insert against LanceDB (npm @lancedb/lancedb 0.37.1 and
# 0.39.0, installed as test_lancedb.sh installs them): LanceDB creates a table and a copy
# of it goes to a second database; the same merges (an upsert, an insert-only merge, an
# update-only merge from a source with two of the columns, an upsert deleting the rows
# of one category that the source lacks, and a composite key with an update condition
# over target and source; see STEPS in lancedb_merge_insert.mjs) run through LanceDB's
# mergeInsert on one copy and `geneva merge-insert` on the other. After each step the
# counts agree, and at the end LanceDB reads both tables: the rows, sorted by key, are
# equal. geneva's count of its own table agrees too. All of it twice: on a plain table
# and on one with stable row ids, where every row's _rowid (and, where LanceDB has
# them, its created-at and last-updated-at versions) must agree too: updated rows keep
# their ids, inserted ones get the same new ids.
#
#   bash test_lancedb_merge_insert.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_NPM_CACHE=DIR shares the npm installs between build directories;
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions. Exits 77 (skipped) when node/npm or
# the packages are missing, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-merge-insert

interop_need_node

lancedb_npm_setup "$SRC"/tests/interop/lancedb_*.mjs \
    "$SRC"/tests/interop/arrow_js_common.mjs

rm -rf "$WORK"
mkdir -p "$WORK/gen" "$WORK/out"
# run WHAT CMD...: one check that CMD succeeds; its output is left in $WORK/out/last.log.
run() {
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "$@" >"$WORK/out/last.log" 2>&1; then
        fail "$what: $(head -c 2000 "$WORK/out/last.log")"
        return 1
    fi
}

# geneva's options for each step of STEPS (lancedb_merge_insert.mjs), in order.
GENEVA_STEPS=(
    "--on id --update-all --insert"
    "--on id --insert"
    "--on id --update-all"
    "--on id --update-all --insert --delete-not-in-source --where cat='a'"
    "--on id,cat --update-all --update-where source.score>target.score --insert"
)

first=$(echo "$VERSIONS" | awk '{print $1}')
node "$NPMBASE/npm-lancedb-$first/lancedb_merge_insert.mjs" prep "$WORK/gen" ||
    { echo "FAIL: lancedb_merge_insert.mjs prep failed"; exit 1; }

for v in $VERSIONS; do
    NPM=$NPMBASE/npm-lancedb-$v
    MI="node $NPM/lancedb_merge_insert.mjs"
    for mode in plain stable; do
        THEIRS=$WORK/theirs-$v-$mode
        OURS=$WORK/ours-$v-$mode
        OUT=$WORK/out/$v-$mode
        echo "== LanceDB $v, $mode row ids"
        run "LanceDB $v creates the table ($mode)" $MI create "$THEIRS" t "$WORK/gen/base.arrow" \
            "$mode" || continue
        mkdir -p "$OURS"
        cp -r "$THEIRS/t.lance" "$OURS/" || { fail "cannot copy the table"; continue; }
        for k in "${!GENEVA_STEPS[@]}"; do
            n=$((k + 1))
            src=$WORK/gen/s$n.arrow
            run "LanceDB $v step $n ($mode)" $MI step "$THEIRS" t "$n" "$src" || continue 2
            want=$(tail -n 1 "$WORK/out/last.log")
            # shellcheck disable=SC2086 # the options are words
            run "geneva step $n ($mode)" "$CLI" merge-insert "$OURS" t "$src" ${GENEVA_STEPS[$k]} ||
                continue 2
            got=$(sed -n 's/.*: \([0-9]*\) updated, \([0-9]*\) inserted, \([0-9]*\) deleted$/\1 \2 \3/p' \
                "$WORK/out/last.log")
            same "$got" "$want" "step $n: updated, inserted, deleted (LanceDB $v, $mode)"
        done
        # with stable row ids, _rowid and the row versions must agree too
        rowids=$([ "$mode" = stable ] && echo rowids)
        run "LanceDB $v reads its table ($mode)" $MI dump "$THEIRS" t "$OUT.theirs.jsonl" $rowids ||
            continue
        run "LanceDB $v reads our table ($mode)" $MI dump "$OURS" t "$OUT.ours.jsonl" $rowids ||
            continue
        checks=$((checks + 1))
        if ! diff -u "$OUT.theirs.jsonl" "$OUT.ours.jsonl" >"$OUT.diff"; then
            fail "LanceDB $v ($mode): the rows differ (theirs, ours): $(head -n 40 "$OUT.diff")"
        fi
        same "$("$CLI" count "$OURS" t 2>&1)" "$(wc -l <"$OUT.theirs.jsonl" | tr -d ' ')" \
            "geneva count of our table (LanceDB $v, $mode)"
    done
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB merge-insert interop checks passed"
