#!/usr/bin/env bash
# Interop of geneva's job table with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0):
# geneva runs backfill jobs (one done, one cancelled), then LanceDB opens
# <db>/__system as a database and reads table geneva_jobs: one row per job, with its
# state, counts, times and options.
#
#   bash test_lancedb_jobs.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# Same conventions as test_lancedb.sh: GNV_NPM_CACHE shares installs, exit 77 (skip)
# without node/npm unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-jobs
DEMO=$BUILD/examples/udfs/libdemo_udfs.so

interop_need_node
[ -f "$DEMO" ] || skip "the demo UDF plugin is not built ($DEMO)"
lancedb_npm_setup "$SRC"/tests/interop/lancedb_jobs.mjs

rm -rf "$WORK"
mkdir -p "$WORK"
export GENEVA_HEARTBEAT_SECONDS=1
{
    echo x
    for i in $(seq 0 99); do echo "$i.5"; done
} >"$WORK/t.csv"

for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    DB=$WORK/db-$v
    echo "== LanceDB $v"
    "$CLI" create "$DB" t --from "$WORK/t.csv" --types x:float64 --max-rows-per-file 10 -q &&
        "$CLI" add-column -q "$DB" t d --udf "$DEMO:slow_double" --inputs x &&
        "$CLI" backfill -q "$DB" t d --where 'x < 20' ||
        { fail "$v: geneva could not make and backfill the table"; continue; }
    done_id=$("$CLI" jobs "$DB" --format csv | tail -n 1 | cut -d, -f1)
    id=$(GENEVA_DEMO_SLEEP_US=40000 "$CLI" backfill -q "$DB" t d --async --checkpoint-size 5 \
        --commit-granularity 1) || { fail "$v: backfill --async"; continue; }
    sleep 0.5
    "$CLI" job -q "$DB" "$id" --cancel && ! "$CLI" job -q "$DB" "$id" --wait 30 ||
        fail "$v: cancelling job $id"
    node "$d/lancedb_jobs.mjs" "$DB/__system" "$done_id:DONE" "$id:CANCELLED" ||
        fail "$v: LanceDB reading geneva_jobs"
done

[ "$failures" = 0 ] && echo "PASS" || echo "$failures failure(s)"
[ "$failures" = 0 ]
