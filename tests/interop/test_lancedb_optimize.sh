#!/usr/bin/env bash
# Interop of compaction (geneva optimize) with LanceDB (npm @lancedb/lancedb 0.37.1 and
# 0.39.0, installed as test_lancedb.sh installs them), for each version:
#   a. geneva optimizes tables it wrote (small fragments, deleted rows; one with stable
#      row ids) and one LanceDB wrote with stable row ids: LanceDB reads every row, in
#      order, with the same _rowid (and created/updated versions) as before.
#   b. differential: the same appends and deletes (by LanceDB) on two copies; LanceDB's
#      table.optimize() on one, geneva optimize on the other: the same rows in the same
#      order, the same number of fragments (with and without stable row ids: then also
#      the same _rowid and versions).
#   c. LanceDB appends to the table geneva optimized and reads every row; geneva counts
#      them.
#
#   bash test_lancedb_optimize.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_NPM_CACHE=DIR shares the npm installs between build directories;
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions. Exits 77 (skipped) when node/npm or
# the packages are missing, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-optimize

interop_need_node

lancedb_npm_setup "$SRC"/tests/interop/lancedb_optimize.mjs

rm -rf "$WORK"
mkdir -p "$WORK/out"
same_file() {
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$3: $(diff "$2" "$1" | head -n 6 | tr '\n' ' ')"
}

# 1000 rows id,name for geneva's tables
{
    echo "id,name"
    awk 'BEGIN { for (i = 0; i < 1000; i++) printf "%d,n%d\n", i, i }'
} >"$WORK/rows.csv"
stable_flag=
"$CLI" create --help 2>&1 | grep -q -- "--stable-row-ids" && stable_flag=--stable-row-ids

for v in $VERSIONS; do
    NPM=$(lancedb_npm_dir "$NPMBASE" "$v")
    LDB="node $NPM/lancedb_optimize.mjs"
    DB=$WORK/db-$v
    O=$WORK/out/$v
    mkdir -p "$O"
    echo "== LanceDB $v"

    echo "-- a. geneva optimizes its tables, LanceDB reads"
    for tb in g gs; do
        extra=
        if [ "$tb" = gs ]; then
            [ -n "$stable_flag" ] || { echo "   note: no --stable-row-ids in geneva create"; continue; }
            extra=$stable_flag
        fi
        run "geneva create $tb" geneva create "$DB" "$tb" --from "$WORK/rows.csv" \
            --max-rows-per-file 50 -q $extra || continue
        run "geneva delete from $tb" geneva delete "$DB" "$tb" --where 'id % 7 = 3 OR (id >= 100 AND id < 140)' -q
        run "LanceDB $v dumps $tb" $LDB dump "$DB" "$tb" "$O/$tb.before" || continue
        run "geneva optimize $tb" geneva optimize "$DB" "$tb" -q || continue
        run "LanceDB $v dumps $tb after optimize" $LDB dump "$DB" "$tb" "$O/$tb.after" || continue
        same "$(wc -l <"$O/$tb.after" | tr -d ' ')" 823 "rows of $tb after optimize"
        if [ "$tb" = gs ]; then
            same_file "$O/$tb.after" "$O/$tb.before" "$tb: rows, _rowid and versions after optimize"
        else
            cut -d, -f1,2 "$O/$tb.before" >"$O/$tb.b2"
            cut -d, -f1,2 "$O/$tb.after" >"$O/$tb.a2"
            same_file "$O/$tb.a2" "$O/$tb.b2" "$tb: rows after optimize"
        fi
        run "LanceDB $v counts fragments of $tb" $LDB fragments "$DB" "$tb" &&
            same "$(tail -n 1 "$WORK/out/run.$checks.log")" "1 823" "$tb: fragments and rows"
    done

    echo "-- b. LanceDB's optimize and ours on copies of the same table"
    for stable in 0 1; do
        x=x$stable
        y=y$stable
        run "LanceDB $v creates $x" $LDB create "$DB" "$x" "$stable" || continue
        cp -r "$DB/$x.lance" "$DB/$y.lance"
        run "LanceDB $v dumps $x" $LDB dump "$DB" "$x" "$O/$x.before" || continue
        run "LanceDB $v optimizes $x" $LDB optimize "$DB" "$x" || continue
        lance_stats=$(tail -n 1 "$WORK/out/run.$checks.log")
        run "geneva optimize $y" geneva optimize "$DB" "$y" || continue
        ours=$(sed -n 's/^compacted \([0-9]*\) fragments\{0,1\} into \([0-9]*\) .*/\1 \2/p' \
            "$WORK/out/run.$checks.log")
        same "$ours" "$lance_stats" "fragments removed and added by geneva and LanceDB ($y)"
        run "LanceDB $v dumps $x" $LDB dump "$DB" "$x" "$O/$x.after"
        run "LanceDB $v dumps $y" $LDB dump "$DB" "$y" "$O/$y.after"
        if [ "$stable" = 1 ]; then
            same_file "$O/$y.after" "$O/$x.after" "$y: rows, _rowid and versions as LanceDB's"
            same_file "$O/$y.after" "$O/$x.before" "$y: rows, _rowid and versions as before"
        else
            cut -d, -f1,2 "$O/$x.after" >"$O/$x.a2"
            cut -d, -f1,2 "$O/$y.after" >"$O/$y.a2"
            cut -d, -f1,2 "$O/$x.before" >"$O/$x.b2"
            same_file "$O/$y.a2" "$O/$x.a2" "$y: rows as LanceDB's"
            same_file "$O/$y.a2" "$O/$x.b2" "$y: rows as before"
        fi
        run "LanceDB $v counts fragments of $x" $LDB fragments "$DB" "$x"
        fx=$(tail -n 1 "$WORK/out/run.$checks.log")
        run "LanceDB $v counts fragments of $y" $LDB fragments "$DB" "$y"
        same "$(tail -n 1 "$WORK/out/run.$checks.log")" "$fx" "fragments and rows of $y and $x"

        echo "-- c. LanceDB appends to $y after our optimize"
        run "LanceDB $v appends to $y" $LDB append "$DB" "$y" 1000 1010 || continue
        same "$(tail -n 1 "$WORK/out/run.$checks.log")" 856 "LanceDB's count of $y after its append"
        same "$(geneva count "$DB" "$y" 2>&1)" 856 "geneva count $y after LanceDB's append"
        run "LanceDB $v dumps $y after its append" $LDB dump "$DB" "$y" "$O/$y.app" || continue
        same "$(cut -d, -f1 "$O/$y.app" | tail -n 10 | tr '\n' ' ')" \
            "1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 " "appended rows of $y"
        if [ "$stable" = 1 ]; then
            same "$(tail -n 1 "$O/$y.app" | cut -d, -f3)" 1009 "_rowid of LanceDB's last append"
        fi
    done
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks LanceDB optimize interop checks passed"
