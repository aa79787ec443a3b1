#!/usr/bin/env bash
# CLI multi-column UDFs: add-columns --udf adds the sibling columns of a struct-output
# function as a group, and 'backfill' of any one of them fills them all; with usage
# and runtime errors.
#
# usage: bash test_cli_multicol.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=multicol
. "$(dirname "$0")/lib.sh"

need_demo
cd "$SAMPLE" || exit 1
DB=$TMP/db

expect 0 help
grep -q "^  add-columns " "$TMP/out" || fail "'geneva help' does not list add-columns"
expect 0 add-columns --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva add-columns " ||
    fail "'geneva add-columns --help' does not start with its usage line"

expect 0 create "$DB" p --from products.csv --max-rows-per-file 6

# ---- errors ---------------------------------------------------------------------------
expect_err 2 "missing --udf" add-columns "$DB" p
expect_err 2 "bad --udf" add-columns "$DB" p --udf nocolon
expect_err 2 "unknown option" add-columns "$DB" p --udf "$DEMO:split_words" --sql 1
expect_err 1 "(\`geneva add-columns\`)" add-column "$DB" p w --udf "$DEMO:split_words" \
    --inputs name
expect_err 1 "does not return a struct" add-columns "$DB" p --udf "$DEMO:text_len" --inputs name
expect_err 1 "bad column prefix 'a.b'" add-columns "$DB" p --udf "$DEMO:split_words" \
    --inputs name --prefix a.b
expect_err 1 "no column 'text'" add-columns "$DB" p --udf "$DEMO:split_words"

# ---- add and backfill -----------------------------------------------------------------
expect_msg "added columns w_first, w_count to 'p' (version 2)" add-columns "$DB" p \
    --udf "$DEMO:split_words" --inputs name --prefix w_
expect_err 1 "already has a column 'w_first'" add-columns "$DB" p --udf "$DEMO:split_words" \
    --inputs name --prefix w_
expect_out "id,w_first,w_count
1,,
2,," scan "$DB" p --columns id,w_first,w_count --limit 2 --format csv

# a filtered backfill through one member fills both for those rows
expect 0 backfill "$DB" p w_count --where 'id <= 2'
expect_out "id,w_first,w_count
1,Chef's,2
2,Cast,3
3,," scan "$DB" p --columns id,w_first,w_count --where 'id <= 3' --format csv
# the rest through the other member
expect 0 backfill -q "$DB" p w_first
expect_out "0" count "$DB" p --where 'w_count IS NULL'
expect_out "id,w_first,w_count
1,Chef's,2
3,Espresso,2" scan "$DB" p --columns id,w_first,w_count --where 'id = 1 OR id = 3' --format csv
# nothing left but rows whose values are NULL (names without words: none here)
expect 0 backfill "$DB" p w_count
grep -q "backfilled 'w_count': 0 rows" "$TMP/err" || { fail "a second backfill computed rows"; show; }
# a recompute of all rows in worker processes
expect 0 backfill -q "$DB" p w_first --where '1=1' --executor process --concurrency 2 \
    --checkpoint-size 3
expect_out "0" count "$DB" p --where 'w_first IS NULL OR w_count IS NULL'
expect_out "id,w_first,w_count
2,Cast,3
4,Crème,3" scan "$DB" p --columns id,w_first,w_count --where 'id = 2 OR id = 4' --format csv

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
