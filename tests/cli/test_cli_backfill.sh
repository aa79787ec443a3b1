#!/usr/bin/env bash
# CLI virtual columns: add-column --udf and backfill end to end on the sample products
# table (plan, filters, resume after a failing UDF, the process executor), with their
# usage and runtime errors.
#
# usage: bash test_cli_backfill.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=backfill
. "$(dirname "$0")/lib.sh"

need_demo
cd "$SAMPLE" || exit 1
DB=$TMP/db

expect 0 help
grep -q "^  backfill " "$TMP/out" || fail "'geneva help' does not list backfill"
expect 0 backfill --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva backfill " ||
    fail "'geneva backfill --help' does not start with its usage line"

expect 0 create "$DB" p --from products.csv --max-rows-per-file 6 ||
    expect 0 create "$DB" p --from products.csv

# ---- add-column --udf ---------------------------------------------------------------
expect_err 2 "give --sql or --udf" add-column "$DB" p x --sql 1 --udf "$DEMO:text_len"
expect_err 2 "--inputs goes with --udf" add-column "$DB" p x --sql 1 --inputs name
expect_err 2 "bad --udf" add-column "$DB" p x --udf nocolon
expect_err 1 "no column 'text'" add-column "$DB" p len --udf "$DEMO:text_len"
expect_err 1 "is float64 but parameter 'text'" add-column "$DB" p len --udf "$DEMO:text_len" \
    --inputs price
expect_err 1 "multi-column UDF" add-column "$DB" p w --udf "$DEMO:split_words" --inputs name
expect_msg "added column 'len' to 'p' (version 2)" add-column "$DB" p len \
    --udf "$DEMO:text_len" --inputs name
expect_out "id,len
1,
2," scan "$DB" p --columns id,len --limit 2 --format csv

# ---- backfill -------------------------------------------------------------------------
expect_err 2 "missing COLUMN" backfill "$DB" p
expect_err 2 "bad --executor 'ray'" backfill "$DB" p len --executor ray
expect_err 2 "bad --checkpoint-size" backfill "$DB" p len --checkpoint-size -3
expect_err 1 "not a virtual column" backfill "$DB" p name
expect_err 1 "where" backfill "$DB" p len --where 'id >>> 2'
expect 0 backfill "$DB" p len --plan --checkpoint-size 4
grep -q "^rows	20$" "$TMP/out" || fail "plan: expected 20 rows"
grep -q "^batches	" "$TMP/out" || fail "plan: no batches line"

expect 0 backfill "$DB" p len --where 'id <= 5' --checkpoint-size 4
grep -q "backfilled 'len': 5 rows" "$TMP/err" || { fail "summary of a filtered backfill"; show; }
expect_out "id,len
1,12
6," scan "$DB" p --columns id,len --where 'id = 1 OR id = 6' --format csv
expect 0 backfill -q "$DB" p len --executor process --concurrency 2 --checkpoint-size 3
[ -s "$TMP/err" ] && fail "-q printed something"
expect_out "0" count "$DB" p --where 'len IS NULL'
expect_out "id,len
1,12
4,18" scan "$DB" p --columns id,len --where 'id = 1 OR id = 4' --format csv
# nothing left to do
expect 0 backfill "$DB" p len
grep -q "backfilled 'len': 0 rows" "$TMP/err" || { fail "a second backfill computed rows"; show; }

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
