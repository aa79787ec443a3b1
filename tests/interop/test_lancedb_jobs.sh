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
CLI=${GNV_TEST_CLI:-$1}
SRC=$(cd "$2" && pwd)
BUILD=$(cd "$3" && pwd)
ARROW_JS_VERSION=18.1.0
VERSIONS=${GNV_LANCEDB_VERSIONS:-"0.37.1 0.39.0"}
WORK=$BUILD/interop-lancedb-jobs
NPMBASE=${GNV_NPM_CACHE:-$BUILD}
DEMO=$BUILD/examples/udfs/libdemo_udfs.so

skip() {
    if [ "${GNV_INTEROP_REQUIRED:-0}" = 1 ]; then
        echo "FAIL: $* (GNV_INTEROP_REQUIRED=1)"
        exit 1
    fi
    echo "SKIPPED: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
[ -f "$DEMO" ] || skip "the demo UDF plugin is not built ($DEMO)"
. "$SRC/tests/interop/lancedb_npm.sh"

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
rm -rf "$WORK"
mkdir -p "$WORK"
export GENEVA_HEARTBEAT_SECONDS=1
{
    echo x
    for i in $(seq 0 99); do echo "$i.5"; done
} >"$WORK/t.csv"

for v in $VERSIONS; do
    msg=$(lancedb_npm_install "$NPMBASE" "$v" "$ARROW_JS_VERSION") || skip "$msg"
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    lancedb_npm_copy "$d" "$SRC/tests/interop/lancedb_jobs.mjs"
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
