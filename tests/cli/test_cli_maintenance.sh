#!/usr/bin/env bash
# CLI maintenance commands: cleanup of old versions (durations, dry run, tags kept,
# errors).
#
# usage: bash test_cli_maintenance.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=maintenance
. "$(dirname "$0")/lib.sh"

cd "$SAMPLE" || exit 1
DB=$TMP/db
expect 0 cleanup --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva cleanup" ||
    fail "'geneva cleanup --help' does not start with its usage line"
expect 0 help && grep -q "^  cleanup " "$TMP/out" || fail "'geneva help' does not list cleanup"

expect 0 create "$DB" p --from products.csv
expect 0 import "$DB" p products.csv
expect 0 tag "$DB" p create two
expect 0 import "$DB" p products.csv
expect 0 create "$DB" p --from products.csv --mode overwrite   # version 4
expect 0 scan "$DB" p -f csv
cp "$TMP/out" "$TMP/latest.csv"
expect 0 scan "$DB" p --tag two -f csv
cp "$TMP/out" "$TMP/two.csv"

# The default (7 days) keeps everything; a dry run removes nothing.
expect_msg "removed 0 versions and 0 files (0.0 MB) of 'p'" cleanup "$DB" p
expect 0 cleanup "$DB" p --older-than 0 --dry-run
grep -q "^would remove 2 versions and " "$TMP/err" || fail "dry run: $(cat "$TMP/err")"
expect 0 versions "$DB" p -f csv
[ "$(tail -n +2 "$TMP/out" | wc -l)" = 4 ] || fail "a dry run removed versions"

# Versions 1 and 3 go; 2 (tagged) and 4 (latest) stay and read as before.
expect 0 cleanup "$DB" p --older-than 0s
grep -q "^removed 2 versions and " "$TMP/err" || fail "cleanup: $(cat "$TMP/err")"
expect 0 versions "$DB" p -f csv
cut -d, -f1 "$TMP/out" >"$TMP/got"
printf 'version\n2\n4\n' >"$TMP/want"
same_text "$TMP/got" "$TMP/want" "versions after cleanup"
expect 0 scan "$DB" p -f csv
same_text "$TMP/out" "$TMP/latest.csv" "latest version after cleanup"
expect 0 scan "$DB" p --tag two -f csv
same_text "$TMP/out" "$TMP/two.csv" "tagged version after cleanup"
expect_err 1 "no version 3" scan "$DB" p --version 3
expect 0 cleanup -q "$DB" p --older-than 1w
[ -s "$TMP/err" ] && fail "cleanup --quiet printed: $(cat "$TMP/err")"

# Errors.
expect_err 2 "bad --older-than '3x'" cleanup "$DB" p --older-than 3x
expect_err 2 "bad --older-than '-1d'" cleanup "$DB" p --older-than -1d
expect_err 2 "TABLE" cleanup "$DB"
expect_err 1 "table 'nope' does not exist" cleanup "$DB" nope

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
