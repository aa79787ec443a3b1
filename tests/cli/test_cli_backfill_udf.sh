#!/usr/bin/env bash
# CLI: swapping a virtual column's UDF (alter-column --udf), a per-run override
# (backfill --udf) and the backfill options (threads per worker, flush interval,
# adaptive sizing), with their errors.
#
# usage: bash test_cli_backfill_udf.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=backfill_udf
. "$(dirname "$0")/lib.sh"

need_demo
cd "$SAMPLE" || exit 1
DB=$TMP/db

expect 0 create "$DB" p --from products.csv --max-rows-per-file 6 ||
    expect 0 create "$DB" p --from products.csv
# c = fail_on_7(id) = 2 * id (fails on id 7: the filters stay below)
expect 0 add-column "$DB" p c --udf "$DEMO:fail_on_7" --inputs id
expect 0 backfill "$DB" p c --where 'id < 7'
expect_out "id,c
1,2
6,12" scan "$DB" p --columns id,c --where 'id = 1 OR id = 6' --format csv

# ---- alter-column --udf ---------------------------------------------------------------
expect 0 alter-column --help && grep -q -- "--udf LIB:FUNC" "$TMP/out" ||
    fail "'alter-column --help' does not mention --udf"
expect_err 2 "--inputs goes with --udf" alter-column "$DB" p c --inputs id
expect_err 2 "give --udf alone" alter-column "$DB" p c --udf "$DEMO:crash_on_13" --rename d
expect_err 2 "bad --udf" alter-column "$DB" p c --udf nocolon
expect_err 1 "not a virtual column" alter-column "$DB" p name --udf "$DEMO:crash_on_13"
expect_err 1 "the output of function 'text_len' is int32" alter-column "$DB" p c \
    --udf "$DEMO:text_len"
expect_err 1 "no column 'nope'" alter-column "$DB" p c --udf "$DEMO:crash_on_13" --inputs nope
expect 0 alter-column "$DB" p c --udf "$DEMO:crash_on_13"
grep -q "altered column 'c' of 'p': now computed by 'crash_on_13'" "$TMP/err" ||
    { fail "alter-column --udf summary"; show; }
# the old values stay until the next backfill
expect_out "id,c
1,2" scan "$DB" p --columns id,c --where 'id = 1' --format csv
expect 0 backfill "$DB" p c --where 'id < 7'
expect_out "id,c
1,1
6,6" scan "$DB" p --columns id,c --where 'id = 1 OR id = 6' --format csv

# ---- backfill --udf: this run only ------------------------------------------------------
expect_err 1 "the output of function 'text_len'" backfill "$DB" p c --udf "$DEMO:text_len"
expect_err 1 "no function" backfill "$DB" p c --udf "$DEMO:nope"
expect 0 backfill "$DB" p c --where 'id < 3' --udf "$DEMO:fail_on_7"
expect_out "id,c
1,2
6,6" scan "$DB" p --columns id,c --where 'id = 1 OR id = 6' --format csv
# the column keeps crash_on_13
expect 0 backfill "$DB" p c --where 'id < 3'
expect_out "id,c
1,1" scan "$DB" p --columns id,c --where 'id = 1' --format csv

# ---- intra-applier concurrency, flush interval, adaptive sizing --------------------------
expect_err 2 "bad --intra-applier-concurrency" backfill "$DB" p c --intra-applier-concurrency 0
expect_err 2 "expected 1 to 64" backfill "$DB" p c --intra-applier-concurrency 65
expect 0 backfill "$DB" p c --where 'id < 3' --intra-applier-concurrency 1
expect 0 backfill "$DB" p c --where 'id < 13' --intra-applier-concurrency 3 --checkpoint-size 2
expect_out "12" count "$DB" p --where 'id < 13 AND c = id'
expect_err 2 "bad --batch-checkpoint-flush-interval-seconds" backfill "$DB" p c \
    --batch-checkpoint-flush-interval-seconds -1
expect 0 backfill "$DB" p c --where 'id < 3' --batch-checkpoint-flush-interval-seconds 5
grep -q "backfilled 'c': 2 rows" "$TMP/err" || { fail "flush interval backfill summary"; show; }
expect 0 backfill "$DB" p c --where 'id < 7' --min-checkpoint-size 2 --max-checkpoint-size 8
grep -q "backfilled 'c': 6 rows" "$TMP/err" || { fail "adaptive backfill summary"; show; }

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
