#!/usr/bin/env bash
# CLI: a virtual column's own error policy, `add-column --udf ... --on-error P
# [--skip-budget N|P%]` (kept in the column's definition), used by backfills that give
# no --on-error of their own, and overridden by those that do.
#
# usage: bash test_cli_column_policy.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=column-policy
. "$(dirname "$0")/lib.sh"

need_demo
DB=$TMP/db
{
    echo id
    for i in $(seq 0 29); do echo "$i"; done
} >"$TMP/ids.csv"
expect 0 create "$DB" t --from "$TMP/ids.csv" --types id:int64 --max-rows-per-file 10

# ---- usage errors: nothing is added ----------------------------------------------------
expect 0 add-column --help
grep -q -- "--on-error P" "$TMP/out" || fail "'add-column --help' lacks --on-error"
expect_err 2 "bad --on-error 'ignore'" add-column "$DB" t d --udf "$DEMO:fail_on_7" \
    --inputs id --on-error ignore
expect_err 2 "bad --skip-budget 'lots'" add-column "$DB" t d --udf "$DEMO:fail_on_7" \
    --inputs id --on-error skip --skip-budget lots
expect_err 2 "--skip-budget needs --on-error skip" add-column "$DB" t d \
    --udf "$DEMO:fail_on_7" --inputs id --skip-budget 3
expect_err 2 "--on-error goes with --udf" add-column "$DB" t d --sql "id * 2" --on-error skip
expect_err 2 "unknown option '--on-error'" alter-column "$DB" t id --rename x --on-error skip

# ---- skip, kept in the column: a plain backfill skips rows 7, 17, 27 ------------------
# (the usage errors above added nothing: d is still free)
expect 0 add-column "$DB" t d --udf "$DEMO:fail_on_7" --inputs id --on-error skip
expect 0 backfill "$DB" t d
grep -q "3 rows skipped" "$TMP/err" || { fail "stored skip policy not used"; show backfill; }
expect_out "id,d
6,12
7,
17," scan "$DB" t --columns id,d --where "id IN (6, 7, 17)" --format csv

# ---- the skip budget is kept too --------------------------------------------------------
expect 0 add-column "$DB" t e --udf "$DEMO:fail_on_7" --inputs id --on-error skip \
    --skip-budget 2
expect_err 1 "skip budget" backfill "$DB" t e
# a backfill's own policy replaces the column's (here: no budget)
expect 0 backfill "$DB" t e --on-error skip
grep -q "3 rows skipped" "$TMP/err" || { fail "backfill --on-error skip"; show backfill; }

# ---- retry:2, kept: two attempts recorded, then the job fails ------------------------
expect 0 add-column "$DB" t r --udf "$DEMO:fail_on_7" --inputs id --on-error retry:2
# (inline: the job stops at the batch that failed twice; the process executor runs its
# other tasks on)
expect_err 1 "row 7" backfill "$DB" t r --checkpoint-size 5 --executor inline
job=$(sed -n 's/.*job \([0-9a-f-]*\) failed.*/\1/p' "$TMP/err")
[ -n "$job" ] || { fail "backfill did not name its job"; show backfill; }
expect 0 errors "$DB" t --job "$job" --format jsonl
[ "$(wc -l <"$TMP/out")" = 2 ] || { fail "two attempts expected"; show errors; }

# ---- no policy: fail, as before ---------------------------------------------------------
expect 0 add-column "$DB" t f --udf "$DEMO:fail_on_7" --inputs id
# (one worker: the tasks run in order, so row 7 is the first to fail)
expect_err 1 "row 7" backfill "$DB" t f --concurrency 1

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
