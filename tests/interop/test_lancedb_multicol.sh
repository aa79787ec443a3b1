#!/usr/bin/env bash
# Interop of multi-column UDFs with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0):
# geneva creates a table of several fragments, adds the group of sibling columns of
# split_words (struct<first: utf8, count: int32>) as w_first and w_count, and backfills
# them through either member in several partial commits (Lance DataReplacement
# transactions of one data file per fragment holding both columns: a filtered run, the
# rest, a recompute). LanceDB then opens the table and finds every value (the first
# word of name and its number of words), filters on a new column, keeps the
# `geneva.udf` field metadata with the group, and appends a row whose columns a further
# backfill computes.
#
#   bash test_lancedb_multicol.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# Same conventions as test_lancedb.sh: GNV_NPM_CACHE shares installs, exit 77 (skip)
# without node/npm unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-multicol
DEMO=$BUILD/examples/udfs/libdemo_udfs.so

interop_need_node
[ -f "$DEMO" ] || skip "the demo UDF plugin is not built ($DEMO)"
lancedb_npm_setup "$SRC"/tests/interop/lancedb_multicol.mjs

rm -rf "$WORK"
mkdir -p "$WORK"
SAMPLE=$SRC/tests/data/sample

for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    CHECK="node $d/lancedb_multicol.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"
    n=$(($(wc -l <"$SAMPLE/products.csv") - 1))
    for sv in 2.1 2.2; do
        T=p${sv/./}
        "$CLI" create "$DB" "$T" --from "$SAMPLE/products.csv" --max-rows-per-file 6 \
            --storage-version "$sv" -q &&
            "$CLI" add-columns -q "$DB" "$T" --udf "$DEMO:split_words" --inputs name \
                --prefix w_ &&
            "$CLI" backfill -q "$DB" "$T" w_count --where 'id <= 7' --commit-granularity 1 &&
            "$CLI" backfill -q "$DB" "$T" w_first --checkpoint-size 4 &&
            "$CLI" backfill -q "$DB" "$T" w_count --where '1=1' --executor process \
                --concurrency 2 --checkpoint-size 5 ||
            { fail "$v $sv: geneva could not make and backfill the table"; continue; }
        $CHECK check "$DB" "$T" "$n" || fail "$v $sv: LanceDB reading our backfilled group"
        $CHECK append "$DB" "$T" || { fail "$v $sv: LanceDB could not append"; continue; }
        "$CLI" backfill -q "$DB" "$T" w_first || fail "$v $sv: backfill after LanceDB's append"
        $CHECK check "$DB" "$T" "$((n + 1))" || fail "$v $sv: LanceDB after the second backfill"
    done
done

[ "$failures" = 0 ] && echo "PASS" || echo "$failures failure(s)"
[ "$failures" = 0 ]
