#!/usr/bin/env bash
# CLI filters and row changes: scan --where, count --where, delete and update, end to
# end on the sample products, with their usage and runtime errors.
#
# usage: bash test_cli_mutate.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=mutate
. "$(dirname "$0")/lib.sh"

cd "$SAMPLE" || exit 1
DB=$TMP/db

# ---- help ---------------------------------------------------------------------------
for c in delete update; do
    expect 0 help
    grep -q "^  $c " "$TMP/out" || fail "'geneva help' does not list $c"
    expect 0 "$c" --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva $c" ||
        fail "'geneva $c --help' does not start with its usage line"
done
expect 0 scan --help && grep -q -- "--where" "$TMP/out" || fail "scan --help lacks --where"
expect 0 count --help && grep -q -- "--where" "$TMP/out" || fail "count --help lacks --where"

expect 0 create "$DB" p --from products.csv --max-rows-per-file 8 -q # fragments of 8, 8, 4

# ---- scan and count with a filter ----------------------------------------------------
expect_out 3 count "$DB" p --where 'price < 20'
expect_out 20 count "$DB" p
expect_out "$(printf 'id,name\n3,Espresso Cups\n11,Notebook A5\n')" \
    scan "$DB" p -c id,name --where "price < 20 AND name LIKE '%o%'" -f csv
# limit and offset count matching rows; the filter may use columns not projected
expect_out "$(printf 'id\n11\n15\n')" scan "$DB" p -c id --where 'price < 20' --offset 1 \
    --limit 2 -f csv
# _rowaddr: fragment 1 starts at 1 << 32
expect_out "$(printf 'id\n9\n10\n')" scan "$DB" p -c id --where '_rowaddr >= 4294967296' \
    --limit 2 -f csv
expect_out 0 count "$DB" p -w 'id > 100'
expect_err 1 "--where: " scan "$DB" p --where 'nosuch = 1'
grep -qF "no column named 'nosuch'" "$TMP/err" || fail "the error does not name the column"
expect_err 1 "--where: " count "$DB" p --where 'id = = 1'
expect_err 1 "--where: " scan "$DB" p --where 'id / 0 = 1'

# ---- delete ------------------------------------------------------------------------------
expect_msg "deleted 3 rows from 'p' (version 2)" delete "$DB" p --where 'price < 20'
expect_out 17 count "$DB" p
expect_out 0 count "$DB" p --where 'price < 20'
expect_out 20 count "$DB" p --version 1
expect_out 3 count "$DB" p --version 1 --where 'price < 20'
expect_out "$(printf 'id\n3\n')" scan "$DB" p --version 1 -w 'id = 3' -c id -f csv
expect_msg "deleted 0 rows from 'p' (no row matches; no new version)" \
    delete "$DB" p --where 'price < 20'
expect 0 versions "$DB" p -f csv
grep -q '^2,.*,delete$' "$TMP/out" || fail "version 2 is not a delete: $(cat "$TMP/out")"
# a whole fragment (ids 17..20 are fragment 2)
expect 0 delete "$DB" p -w 'id >= 17' -q
[ -s "$TMP/err" ] && fail "delete -q printed: $(cat "$TMP/err")"
expect_out "$(printf 'id\n1\n2\n4\n5\n6\n7\n8\n9\n10\n12\n13\n14\n16\n')" scan "$DB" p -c id -f csv
expect 2 delete "$DB" p
grep -qF -- "missing --where" "$TMP/err" || fail "delete without --where: $(cat "$TMP/err")"
expect 2 delete "$DB" p --where x --set a=1
expect_err 1 "--where: " delete "$DB" p --where 'nosuch > 1'
expect_err 1 "does not exist" delete "$DB" nope --where true
expect_out 13 count "$DB" p

# ---- update --------------------------------------------------------------------------------
expect_msg "updated 3 rows of 'p' (version 4)" \
    update "$DB" p --set 'price=price * 2' --set "name=name || '!'" --where 'id <= 4'
expect_out "$(printf 'id,name,price\n1,Chef'"'"'s Knife!,99.9\n2,Cast Iron Skillet!,69.0\n4,Crème Brûlée Torch!,55.98\n')" \
    scan "$DB" p -c id,name,price -f csv --where 'id <= 4'
expect_out 13 count "$DB" p
# a literal cast to the column's type, on every row
expect_msg "updated 13 rows of 'p' (version 5)" update "$DB" p --set in_stock=true
expect_out 13 count "$DB" p --where in_stock
expect_msg "updated 0 rows of 'p' (no row matches; no new version)" \
    update "$DB" p --set 'price=1' --where 'id > 100'
expect 2 update "$DB" p
grep -qF -- "missing --set" "$TMP/err" || fail "update without --set: $(cat "$TMP/err")"
expect 2 update "$DB" p --set price
expect_err 1 "no column 'nosuch'" update "$DB" p --set 'nosuch=1'
expect_err 1 "column 'price'" update "$DB" p --set "price='abc'"
expect_err 1 "--where: " update "$DB" p --set price=1 --where 'nope'
expect_out 13 count "$DB" p
expect 0 versions "$DB" p -f csv
grep -q '^5,.*,update$' "$TMP/out" || fail "version 5 is not an update: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/out")" = 6 ] || fail "failed updates added versions"

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
