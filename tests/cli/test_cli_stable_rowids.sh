#!/usr/bin/env bash
# CLI stable row ids: 'create --stable-row-ids' gives rows the ids 0, 1, ... and every
# later change (import, delete, update, add-column, backfill, alter-column, drop-column)
# keeps the _rowid of each remaining row.
#
# usage: bash test_cli_stable_rowids.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=stable_rowids
. "$(dirname "$0")/lib.sh"

# ids TABLE: "id,_rowid" of every row, sorted by id, into $TMP/ids.<TABLE>.<n>
snap=0
ids() {
    snap=$((snap + 1))
    expect 0 scan "$DB" "$1" --columns id,_rowid --format csv || return 1
    tail -n +2 "$TMP/out" | sort -t, -k1,1n >"$TMP/ids.$1.$snap"
}

# same_ids A B WHAT: the rows of snapshot B that snapshot A has keep their _rowid
same_ids() {
    join -t, -j1 <(sort -t, -k1,1 "$1") <(sort -t, -k1,1 "$2") |
        awk -F, '$2 != $3 { bad = 1; print "  id " $1 ": _rowid " $2 " became " $3 } END { exit bad }' ||
        fail "$3: row ids changed"
}

cd "$SAMPLE" || exit 1
DB=$TMP/db

expect 0 create --help && grep -q -- "--stable-row-ids" "$TMP/out" ||
    fail "'geneva create --help' does not list --stable-row-ids"

# ---- create: ids 0..19 in the order of the file ------------------------------------------
expect_msg "created table 's' with 20 rows (version 1)" \
    create "$DB" s --from products.csv --stable-row-ids --max-rows-per-file 6
ids s
awk -F, '$2 != $1 - 1 { bad = 1 } END { exit bad }' "$TMP/ids.s.$snap" ||
    fail "create --stable-row-ids: row ids are not 0..19: $(tr '\n' ' ' <"$TMP/ids.s.$snap")"
[ "$(wc -l <"$TMP/ids.s.$snap")" = 20 ] || fail "create --stable-row-ids: not 20 rows"
first=$snap
# a plain table's row ids are row addresses (fragment 1 starts at 1 << 32)
expect 0 create "$DB" plain --from products.csv --max-rows-per-file 6 -q
expect 0 scan "$DB" plain --columns _rowid --where "id = 7" --format csv
grep -qx "4294967296" "$TMP/out" || fail "plain table: _rowid of row 7 is not its address"

# ---- import: the next ids ------------------------------------------------------------------
printf 'id,name,description,price,in_stock,added,tags\n' >"$TMP/more.csv"
printf '%s,extra,x,1.5,true,2024-02-01,t\n' 21 22 23 >>"$TMP/more.csv"
expect 0 import "$DB" s "$TMP/more.csv" -q
ids s
grep -qx "23,22" "$TMP/ids.s.$snap" || fail "import: row 23 did not get id 22"
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "import"

# ---- delete, update ------------------------------------------------------------------------
expect_msg "deleted 7 rows from 's' (version 3)" delete "$DB" s --where "id % 3 = 0"
ids s
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "delete"
[ "$(wc -l <"$TMP/ids.s.$snap")" = 16 ] || fail "delete: not 16 rows left"
expect 0 update "$DB" s --set "price=price * 2" --set "name='changed'" --where "id < 12 OR id = 23" -q
ids s
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "update"
[ "$(wc -l <"$TMP/ids.s.$snap")" = 16 ] || fail "update: not 16 rows"
grep -qx "23,22" "$TMP/ids.s.$snap" || fail "update: row 23 lost its id 22"
expect 0 scan "$DB" s --columns name --where "_rowid = 22" --format csv
grep -qx "changed" "$TMP/out" || fail "update: _rowid 22 does not find the updated row"

# ---- column changes --------------------------------------------------------------------------
expect 0 add-column "$DB" s twice --sql "id * 2" -q
ids s
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "add-column"
expect 0 alter-column "$DB" s twice --cast float64 -q
ids s
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "alter-column"
expect 0 drop-column "$DB" s twice description -q
ids s
same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "drop-column"
DEMO=$BUILD/examples/udfs/libdemo_udfs.so
if [ -f "$DEMO" ]; then
    expect 0 add-column "$DB" s len --udf "$DEMO:text_len" --inputs name -q
    expect 0 backfill "$DB" s len -q
    ids s
    same_ids "$TMP/ids.s.$first" "$TMP/ids.s.$snap" "backfill"
    expect 0 scan "$DB" s --columns len --where "_rowid = 22" --format csv
    grep -qx "7" "$TMP/out" || fail "backfill: len of 'changed' is not 7: $(cat "$TMP/out")"
fi

# ---- overwrite keeps them; they cannot be added to a table without them ---------------------
expect 0 create "$DB" s --from products.csv --mode overwrite -q
ids s
awk -F, '$2 != $1 - 1 + 23 { bad = 1 } END { exit bad }' "$TMP/ids.s.$snap" ||
    fail "overwrite: the new rows did not get the ids 23..42"
expect_err 1 "no stable row ids" create "$DB" plain --from products.csv --mode overwrite \
    --stable-row-ids

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
