#!/usr/bin/env bash
# CLI error policies: backfill --on-error fail|retry:N|skip and --skip-budget, and
# `geneva errors` listing the failed rows (filters, formats, addresses) and re-running
# just those rows with --where "_rowaddr IN (...)".
#
# usage: bash test_cli_errors.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=errors
. "$(dirname "$0")/lib.sh"

DEMO=$BUILD/examples/udfs/libdemo_udfs.so
FLAKY=$BUILD/tests/udf_plugins/libflaky_udfs.so
if [ ! -f "$DEMO" ] || [ ! -f "$FLAKY" ]; then
    echo "SKIP: the UDF plugins are not built ($DEMO, $FLAKY)"
    exit 77
fi
DB=$TMP/db
{
    echo id
    for i in $(seq 0 29); do echo "$i"; done
} >"$TMP/ids.csv"

expect 0 help
grep -q "^  errors " "$TMP/out" || fail "'geneva help' does not list errors"
expect 0 errors --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva errors " ||
    fail "'geneva errors --help' does not start with its usage line"

expect 0 create "$DB" t --from "$TMP/ids.csv" --types id:int64 --max-rows-per-file 10
expect 0 add-column "$DB" t d --udf "$DEMO:fail_on_7" --inputs id

# ---- usage errors -----------------------------------------------------------------
expect_err 2 "bad --on-error 'ignore'" backfill "$DB" t d --on-error ignore
expect_err 2 "bad --on-error 'retry:0'" backfill "$DB" t d --on-error retry:0
expect_err 2 "bad --skip-budget 'lots'" backfill "$DB" t d --on-error skip --skip-budget lots
expect_err 2 "--skip-budget needs --on-error skip" backfill "$DB" t d --skip-budget 3
expect_err 2 "bad --format 'xml'" errors "$DB" t --format xml
expect_err 2 "missing TABLE" errors "$DB"
expect_err 1 "does not exist" errors "$DB" nosuch

# ---- no errors yet ------------------------------------------------------------------
expect 0 errors "$DB" t --format csv --addresses
[ -s "$TMP/out" ] && fail "addresses before any error: $(cat "$TMP/out")"

# ---- fail (the default): stops at row 7, names it -----------------------------------
# (one worker: the tasks run in order, so row 7 is the first to fail)
expect_err 1 "row 7 (fragment 0, offset 7)" backfill "$DB" t d --checkpoint-size 5 -q \
    --concurrency 1
expect 0 errors "$DB" t --format csv
[ "$(wc -l <"$TMP/out")" = 2 ] || { fail "one error row expected after fail"; show; }
head -n 1 "$TMP/out" | grep -q "^job_id,table,column,udf_name,udf_version,row_address,error_code,error_type,message,attempt,time$" ||
    { fail "errors header"; show; }
grep -q ",t,d,fail_on_7,.*,7,1,udf_error,.*ends in 7,1," "$TMP/out" || { fail "error row"; show; }

# ---- retry:3: three attempts recorded ------------------------------------------------
# (inline: the job stops at the batch that failed three times; the process executor
# runs its other tasks on)
expect_err 1 "row 7" backfill "$DB" t d --checkpoint-size 5 --on-error retry:3 \
    --executor inline
job=$(sed -n 's/.*job \([0-9a-f-]*\) failed.*/\1/p' "$TMP/err")
[ -n "$job" ] || { fail "backfill did not name its job"; show; }
expect 0 errors "$DB" t --job "$job" --format jsonl
[ "$(wc -l <"$TMP/out")" = 3 ] || { fail "three attempts expected"; show; }
for a in 1 2 3; do
    grep -q "\"attempt\":$a," "$TMP/out" || fail "attempt $a not recorded"
done

# ---- skip: rows 7, 17, 27 NULL; budget ---------------------------------------------
expect_err 1 "skip budget" backfill "$DB" t d --where "1=1" --on-error skip --skip-budget 2
expect_err 1 "skip budget" backfill "$DB" t d --where "1=1" --on-error skip --skip-budget 5%
expect 0 backfill "$DB" t d --where "1=1" --on-error skip --skip-budget 10%
grep -q "3 rows skipped" "$TMP/err" || { fail "skip summary"; show; }
job=$(sed -n "s/.*--job \([0-9a-f-]*\)' lists them.*/\1/p" "$TMP/err")
expect_out "id,d
6,12
7,
8,16
17," scan "$DB" t --columns id,d --where "id IN (6, 7, 8, 17)" --format csv
expect_out "7,4294967303,8589934599" errors "$DB" t --job "$job" --addresses
expect 0 errors "$DB" t --job "$job" --column other --addresses
[ -s "$TMP/out" ] && fail "addresses of another column: $(cat "$TMP/out")"
expect 0 errors "$DB" t --job "$job" --type udf_error --format csv
[ "$(wc -l <"$TMP/out")" = 4 ] || { fail "three skipped rows expected"; show; }
expect 0 errors "$DB" t --job "$job"
grep -q "fail_on_7" "$TMP/out" || { fail "table format"; show; }

# ---- re-run just the failed rows -----------------------------------------------------
expect 0 add-column "$DB" t e --udf "$FLAKY:flaky_double" --inputs id
GNV_FLAKY_FAIL_ID=12 "$GENEVA" backfill "$DB" t e --on-error skip >"$TMP/out" 2>"$TMP/err" ||
    fail "flaky backfill with skip failed"
job=$(sed -n "s/.*--job \([0-9a-f-]*\)' lists them.*/\1/p" "$TMP/err")
expect 0 errors "$DB" t --job "$job" --column e --addresses
addrs=$(cat "$TMP/out")
[ "$addrs" = 4294967298 ] || fail "failed address of id 12: '$addrs'"
expect 0 backfill "$DB" t e --where "_rowaddr IN ($addrs)"
grep -q "backfilled 'e': 1 rows" "$TMP/err" || { fail "re-run of the failed rows"; show; }
expect_out "id,e
12,24" scan "$DB" t --columns id,e --where "id = 12" --format csv

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
