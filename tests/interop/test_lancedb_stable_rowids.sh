#!/usr/bin/env bash
# Interop of stable row ids with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0), for
# each version:
#   1. LanceDB creates a table with stable row ids (new_table_enable_stable_row_ids, two
#      fragments); geneva deletes and updates rows (the update moves rows of both
#      fragments). LanceDB reads every row with _rowid, _row_created_at_version and
#      _row_last_updated_at_version: the ids are those LanceDB read before, created-at
#      is unchanged, last-updated-at is our update's version for the updated rows; our
#      scan gives the same _rowid. Then LanceDB updates, deletes and appends: its new
#      rows get the ids after the original ones (our update used no new ids), and
#      geneva reads the same _rowid as LanceDB; geneva updates LanceDB's moved rows and
#      LanceDB reads them with their ids.
#   2. geneva creates a table with --stable-row-ids, appends, updates and deletes;
#      LanceDB reads the same _rowid (0, 1, ...) and the versions we recorded; LanceDB
#      changes it and geneva reads what LanceDB reads.
#
#   bash test_lancedb_stable_rowids.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_NPM_CACHE=DIR shares the npm installs between build directories;
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions. Exits 77 (skipped) when node/npm or
# the packages are missing, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-stable-rowids

interop_need_node

lancedb_npm_setup "$SRC"/tests/interop/lancedb_stable_rowids.mjs

rm -rf "$WORK"
mkdir -p "$WORK/out"
OUT=$WORK/out
# same_file GOT WANT WHAT: one check that two files are equal.
same_file() {
    checks=$((checks + 1))
    if ! diff -u "$2" "$1" >"$OUT/diff.$checks"; then
        fail "$3 (diff: expected, got): $(head -n 20 "$OUT/diff.$checks")"
    fi
}
# ours TABLE FILE: geneva's "id,rowid" of every row, sorted by id
ours() {
    checks=$((checks + 1))
    geneva scan "$DB" "$1" --columns id,_rowid --format csv >"$2.raw" 2>"$2.err" ||
        fail "geneva scan $1: $(head -n 3 "$2.err")"
    tail -n +2 "$2.raw" | sort -t, -k1,1n >"$2"
}
# latest TABLE: the latest version number geneva lists
latest() {
    geneva versions "$DB" "$1" | tail -n 1 | awk '{print $1}'
}

for v in $VERSIONS; do
    NPM=$NPMBASE/npm-lancedb-$v
    JS="node $NPM/lancedb_stable_rowids.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"

    echo "-- 1. LanceDB's table, geneva deletes and updates"
    tb=theirs
    run "LanceDB $v creates $tb" $JS create "$DB" "$tb" 100 || continue
    run "LanceDB $v reads $tb" $JS dump "$DB" "$tb" "$OUT/$tb.0.csv" || continue
    awk -F, '$1 != $2 { bad = 1 } END { exit bad || NR != 100 }' "$OUT/$tb.0.csv" ||
        fail "LanceDB's $tb: row ids are not 0..99"
    run "geneva delete from $tb" geneva delete "$DB" "$tb" --where 'id % 7 = 0' -q
    run "geneva update $tb" geneva update "$DB" "$tb" --set "name=concat(name, '!')" \
        --where 'id % 3 = 0 OR id > 90' -q
    up=$(latest "$tb")
    # what LanceDB must read: the same ids, created-at kept, updated rows at our version
    awk -F, -v OFS=, -v up="$up" '$1 % 7 == 0 { next }
        $1 % 3 == 0 || $1 > 90 { $4 = ($4 == "" ? "" : up); $5 = $5 "!" } { print }' \
        "$OUT/$tb.0.csv" >"$OUT/$tb.1.want"
    run "LanceDB $v reads $tb after geneva's changes" $JS dump "$DB" "$tb" "$OUT/$tb.1.csv" &&
        same_file "$OUT/$tb.1.csv" "$OUT/$tb.1.want" \
            "LanceDB's _rowid/versions/name of $tb after geneva's delete and update"
    ours "$tb" "$OUT/$tb.1.ours"
    cut -d, -f1,2 "$OUT/$tb.1.csv" >"$OUT/$tb.1.ids"
    same_file "$OUT/$tb.1.ours" "$OUT/$tb.1.ids" "geneva's _rowid of $tb vs LanceDB's"

    run "LanceDB $v changes $tb after geneva" $JS modify "$DB" "$tb" || continue
    run "LanceDB $v reads $tb after its changes" $JS dump "$DB" "$tb" "$OUT/$tb.2.csv"
    # untouched rows keep their ids; LanceDB's new rows continue at 100 (no id was
    # used by our update)
    awk -F, -v OFS=, '$1 % 10 == 3 && $1 < 1000 { next } { print $1, $2 }' "$OUT/$tb.1.csv" \
        >"$OUT/$tb.2.want"
    for k in 0 1 2 3 4; do echo "$((1000 + k)),$((100 + k))"; done >>"$OUT/$tb.2.want"
    cut -d, -f1,2 "$OUT/$tb.2.csv" >"$OUT/$tb.2.ids"
    same_file "$OUT/$tb.2.ids" "$OUT/$tb.2.want" "LanceDB's _rowid of $tb after its changes"
    grep -q '^2,2,.*,lancedb$' "$OUT/$tb.2.csv" || fail "LanceDB's update of $tb: row 2"
    ours "$tb" "$OUT/$tb.2.ours"
    same_file "$OUT/$tb.2.ours" "$OUT/$tb.2.ids" "geneva's _rowid of $tb after LanceDB's changes"
    # geneva moves LanceDB's moved and appended rows again
    run "geneva update $tb after LanceDB" geneva update "$DB" "$tb" --set "name='again'" \
        --where 'id % 10 = 2 OR id >= 1000' -q
    run "LanceDB $v reads $tb" $JS dump "$DB" "$tb" "$OUT/$tb.3.csv"
    cut -d, -f1,2 "$OUT/$tb.3.csv" >"$OUT/$tb.3.ids"
    same_file "$OUT/$tb.3.ids" "$OUT/$tb.2.ids" "LanceDB's _rowid of $tb after geneva's second update"
    # ids 2, 12, ..., 92 but 42 (deleted), and 1000..1004
    [ "$(grep -c ',again$' "$OUT/$tb.3.csv")" = 14 ] ||
        fail "LanceDB does not read 14 rows of $tb named 'again'"

    echo "-- 2. geneva's table with --stable-row-ids"
    tb=ours
    {
        echo "id,name,v"
        awk 'BEGIN { for (i = 0; i < 50; i++) printf "%d,n%d,%d.5\n", i, i, i }'
    } >"$OUT/$tb.a.csv"
    {
        echo "id,name,v"
        awk 'BEGIN { for (i = 50; i < 60; i++) printf "%d,n%d,%d.5\n", i, i, i }'
    } >"$OUT/$tb.b.csv"
    run "geneva create $tb" geneva create "$DB" "$tb" --from "$OUT/$tb.a.csv" --stable-row-ids \
        --max-rows-per-file 20 -q || continue
    run "geneva import into $tb" geneva import "$DB" "$tb" "$OUT/$tb.b.csv" -q
    run "geneva update $tb" geneva update "$DB" "$tb" --set "name=concat(name, '?')" \
        --where 'id % 4 = 0' -q
    run "geneva delete from $tb" geneva delete "$DB" "$tb" --where 'id % 9 = 5' -q
    # ids 0..59 in file order; created at 1 (create) or 2 (import); updated at 3
    awk -v OFS=, 'BEGIN { for (i = 0; i < 60; i++) { if (i % 9 == 5) continue
        c = i < 50 ? 1 : 2; u = i % 4 == 0 ? 3 : c
        print i, i, c, u, "n" i (i % 4 == 0 ? "?" : "") } }' >"$OUT/$tb.1.want"
    run "LanceDB $v reads $tb" $JS dump "$DB" "$tb" "$OUT/$tb.1.csv" || continue
    if [ -z "$(cut -d, -f3 "$OUT/$tb.1.csv" | head -n 1)" ]; then
        # no version columns in this LanceDB
        cut -d, -f1,2,5 "$OUT/$tb.1.want" | awk -F, -v OFS=, '{ print $1, $2, "", "", $3 }' \
            >"$OUT/$tb.1.want2" && mv "$OUT/$tb.1.want2" "$OUT/$tb.1.want"
    fi
    same_file "$OUT/$tb.1.csv" "$OUT/$tb.1.want" "LanceDB's _rowid/versions/name of geneva's $tb"
    ours "$tb" "$OUT/$tb.1.ours"
    cut -d, -f1,2 "$OUT/$tb.1.csv" >"$OUT/$tb.1.ids"
    same_file "$OUT/$tb.1.ours" "$OUT/$tb.1.ids" "geneva's _rowid of $tb vs LanceDB's"
    run "LanceDB $v changes $tb" $JS modify "$DB" "$tb" || continue
    run "LanceDB $v reads $tb after its changes" $JS dump "$DB" "$tb" "$OUT/$tb.2.csv"
    cut -d, -f1,2 "$OUT/$tb.2.csv" >"$OUT/$tb.2.ids"
    awk -F, -v OFS=, '$1 % 10 == 3 { next } { print $1, $2 }' "$OUT/$tb.1.csv" >"$OUT/$tb.2.want"
    for k in 0 1 2 3 4; do echo "$((1000 + k)),$((60 + k))"; done >>"$OUT/$tb.2.want"
    same_file "$OUT/$tb.2.ids" "$OUT/$tb.2.want" "LanceDB's _rowid of $tb after its changes"
    ours "$tb" "$OUT/$tb.2.ours"
    same_file "$OUT/$tb.2.ours" "$OUT/$tb.2.ids" "geneva's _rowid of $tb after LanceDB's changes"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB stable row id interop checks passed"
