#!/usr/bin/env bash
# CLI `optimize`: small fragments compacted (rows and order unchanged), deleted rows
# materialized, nothing to do commits nothing, --target-rows, --keep-deletions,
# --quiet, errors.
#
# usage: bash test_cli_optimize.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=optimize
. "$(dirname "$0")/lib.sh"

cd "$SAMPLE" || exit 1
DB=$TMP/db
expect 0 optimize --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva optimize" ||
    fail "'geneva optimize --help' does not start with its usage line"
expect 0 help && grep -q "^  optimize " "$TMP/out" || fail "'geneva help' does not list optimize"

# Six appends of 20 rows: one fragment of 120 rows, same rows in the same order.
expect 0 create "$DB" p --from products.csv
for i in 1 2 3 4 5; do expect 0 import "$DB" p products.csv; done
expect 0 scan "$DB" p -f csv
cp "$TMP/out" "$TMP/before.csv"
expect_msg "compacted 6 fragments into 1 (120 rows rewritten, 6 files removed, 1 added) of 'p' (version 7)" \
    optimize "$DB" p
expect 0 scan "$DB" p -f csv
same_text "$TMP/out" "$TMP/before.csv" "rows after optimize"
expect 0 versions "$DB" p -f csv
tail -n 1 "$TMP/out" | grep -q ",rewrite$" || fail "last version is not a rewrite: $(tail -n 1 "$TMP/out")"
expect 0 scan "$DB" p --version 6 -f csv
same_text "$TMP/out" "$TMP/before.csv" "the version before optimize"

# Nothing to do: no new version.
expect_msg "nothing to compact in 'p' (version 7)" optimize "$DB" p
expect 0 optimize -q "$DB" p
[ -s "$TMP/err" ] && fail "optimize --quiet printed: $(cat "$TMP/err")"

# --target-rows: three tasks of 60 rows... as Lance splits them, written 50 + 10.
expect 0 create "$DB" q --from products.csv
for i in 1 2 3 4 5; do expect 0 import "$DB" q products.csv; done
expect_msg "compacted 6 fragments into 4 (120 rows rewritten, 6 files removed, 4 added) of 'q' (version 7)" \
    optimize "$DB" q --target-rows 50
expect 0 scan "$DB" q -f csv
same_text "$TMP/out" "$TMP/before.csv" "rows after optimize --target-rows"

# Deleted rows: more than 10% of a fragment's rows rewrites it without them.
expect 0 delete "$DB" p --where "price > 5"
expect 0 scan "$DB" p -f csv
cp "$TMP/out" "$TMP/deleted.csv"
expect 0 optimize "$DB" p --keep-deletions
grep -q "^nothing to compact" "$TMP/err" || fail "--keep-deletions: $(cat "$TMP/err")"
expect 0 optimize "$DB" p
grep -q "^compacted 1 fragment into 1 (.* rows rewritten, 2 files removed, 1 added)" "$TMP/err" ||
    fail "materialized deletions: $(cat "$TMP/err")"
expect 0 scan "$DB" p -f csv
same_text "$TMP/out" "$TMP/deleted.csv" "rows after materializing deletions"

# Errors.
expect_err 2 "bad --target-rows '0'" optimize "$DB" p --target-rows 0
expect_err 2 "bad --target-rows 'x'" optimize "$DB" p --target-rows x
expect_err 2 "TABLE" optimize "$DB"
expect_err 1 "table 'nope' does not exist" optimize "$DB" nope

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
