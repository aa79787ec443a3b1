#!/usr/bin/env bash
# CLI table commands: create, import, tables, schema, scan, count, versions, restore,
# tag and drop, end to end on the sample files, plus their usage and runtime errors.
#
# usage: bash test_cli_tables.sh <path-to-geneva> <source-dir> <build-dir>
# GNV_UPDATE_GOLDEN=1 rewrites the golden files from the current output (check the
# diff by eye before committing them).
CLI_TEST_NAME=tables
. "$(dirname "$0")/lib.sh"

cd "$SAMPLE" || exit 1
DB=$TMP/db
COMMANDS="create import tables schema scan count versions restore tag drop"

# ---- help -----------------------------------------------------------------------
expect 0 help
for c in $COMMANDS; do
    grep -q "^  $c " "$TMP/out" || fail "'geneva help' does not list $c"
done
for c in $COMMANDS; do
    expect 0 "$c" --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva $c" ||
        fail "'geneva $c --help' does not start with its usage line"
    cp "$TMP/out" "$TMP/help.a"
    expect 0 "$c" -h && cmp -s "$TMP/help.a" "$TMP/out" || fail "'geneva $c -h' differs from --help"
    expect 0 help "$c" && cmp -s "$TMP/help.a" "$TMP/out" || fail "'geneva help $c' differs"
    [ -s "$TMP/err" ] && fail "'geneva help $c' wrote to stderr"
done

# ---- create, both storage versions, from CSV and JSON Lines ------------------------
for sv in 2.1 2.2; do
    n=${sv/./}
    expect_msg "created table 'csv$n' with 20 rows (version 1)" \
        create "$DB" "csv$n" --from products.csv --storage-version "$sv"
    # options before the positionals, and DB created on the way
    expect_msg "created table 'json$n' with 20 rows (version 1)" \
        create --storage-version="$sv" --from products.jsonl "$DB" "json$n"
done
expect 0 create "$DB" plain --from products.csv -q
[ -s "$TMP/err" ] && fail "create --quiet printed: $(cat "$TMP/err")"
expect_out "$(printf 'csv21\ncsv22\njson21\njson22\nplain')" tables "$DB"

# ---- schema, scan in every format ---------------------------------------------------
for n in 21 22; do
    golden tables_schema_csv.txt schema "$DB" "csv$n"
    golden tables_schema_jsonl.txt schema "$DB" "json$n"
    golden tables_scan_csv_jsonl.txt scan "$DB" "csv$n" --format jsonl
    golden tables_scan_jsonl_jsonl.txt scan "$DB" "json$n" -f jsonl
    for f in csv jsonl; do
        src=products.csv
        [ "$f" = jsonl ] && src=products.jsonl
        tbl=$f$n
        [ "$f" = jsonl ] && tbl=json$n
        # the rows read back are the file's, in every output format
        same_output inspect "$src" --format jsonl -- scan "$DB" "$tbl" --format jsonl
        same_output inspect "$src" --format csv -- scan "$DB" "$tbl" --format csv
        same_output inspect "$src" --no-schema -- scan "$DB" "$tbl"
        same_output inspect "$src" --no-schema --max-width 12 -- \
            scan "$DB" "$tbl" --format table --max-width 12
        same_output inspect "$src" --schema-only -- schema "$DB" "$tbl"
        # Arrow IPC out, read back by inspect
        expect 0 scan "$DB" "$tbl" --format arrow --out "$TMP/$tbl.arrow"
        [ -s "$TMP/out" ] && fail "scan --format arrow also wrote to stdout"
        same_output scan "$DB" "$tbl" --format jsonl -- inspect "$TMP/$tbl.arrow" --format jsonl
        same_output schema "$DB" "$tbl" -- inspect "$TMP/$tbl.arrow" --schema-only
    done
done
expect 0 scan "$DB" csv21 --with-row-id --format arrow -o "$TMP/rowid.arrow"
same_output scan "$DB" csv21 --with-row-id -f jsonl -- inspect "$TMP/rowid.arrow" -f jsonl

# --columns, --limit, --offset, --with-row-id, --out
golden tables_scan_columns.txt scan "$DB" csv21 --columns name,id --limit 3
golden tables_scan_rowid.txt scan "$DB" csv22 -c id,price --with-row-id --format csv
golden tables_scan_rowid_only.txt scan "$DB" json21 -c _rowid,name -f csv -n 2 --offset 18
expect 0 inspect products.csv --format csv
{ head -n 1 "$TMP/out"; sed -n '7,10p' "$TMP/out"; } >"$TMP/want"
expect 0 scan "$DB" csv21 --format csv --offset 5 --limit 4
same_text "$TMP/out" "$TMP/want" "scan --offset 5 --limit 4"
expect_out "id" scan "$DB" csv21 --format csv --offset 20 --columns id
expect_out "$(printf '_rowid,id\n0,1')" scan "$DB" csv21 -f csv -c _rowid,id --with-row-id -n 1
expect_out "id" scan "$DB" csv21 --format csv --limit 0 --columns id
same_output scan "$DB" csv21 -f jsonl -n 2 -- scan -f jsonl "$DB" -n 2 csv21
expect 0 scan "$DB" csv21 -f csv --out "$TMP/scan.csv"
[ -s "$TMP/out" ] && fail "scan --out also wrote to stdout"
expect 0 scan "$DB" csv21 -f csv
same_text "$TMP/scan.csv" "$TMP/out" "scan --out wrote something else than stdout shows"

# ---- count, import, versions, time travel -------------------------------------------
expect_out 20 count "$DB" csv21
expect_msg "added 20 rows to 'csv21' (version 2)" import "$DB" csv21 products.csv
expect_msg "added 20 rows to 'csv21' (version 3)" import "$DB" csv21 \
    --max-rows-per-file 7 products.csv
expect_out 60 count "$DB" csv21
expect 0 versions "$DB" csv21
[ "$(wc -l <"$TMP/out")" = 5 ] || fail "versions: expected a header, a rule and 3 lines"
head -n 2 "$TMP/out" | tr -s ' -' >"$TMP/got"
printf 'version | timestamp | operation\n-+-+-\n' >"$TMP/want"
same_text "$TMP/got" "$TMP/want" "versions: header"
expect 0 versions "$DB" csv21 --format csv
cut -d, -f1,3 "$TMP/out" >"$TMP/got"
printf 'version,operation\n1,overwrite\n2,append\n3,append\n' >"$TMP/want"
same_text "$TMP/got" "$TMP/want" "versions --format csv: versions and operations"
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
tail -n +2 "$TMP/out" | cut -d, -f2 | grep -Evx "$ISO" &&
    fail "versions: timestamps not ISO-8601 UTC with microseconds"
expect 0 versions -f jsonl "$DB" csv21
grep -c '^{"version":[0-9]*,"timestamp":"[^"]*Z","operation":"[a-z]*"}$' "$TMP/out" |
    grep -qx 3 || fail "versions --format jsonl: not 3 well-formed lines: $(cat "$TMP/out")"
expect_out 20 count "$DB" csv21 --version 1
expect_out 40 count "$DB" csv21 --version=2
expect 0 scan "$DB" csv21 --version 1 -f csv
[ "$(wc -l <"$TMP/out")" = 21 ] || fail "scan --version 1: expected 20 rows"
same_output scan "$DB" csv21 --version 1 -f jsonl -- scan "$DB" plain -f jsonl
expect 0 scan "$DB" csv21 -f csv --columns id
[ "$(wc -l <"$TMP/out")" = 61 ] || fail "scan after two imports: expected 60 rows"
# --max-rows-per-file 7 split the 20 rows of version 3 into 3 data files
[ "$(find "$DB/csv21.lance/data" -type f | wc -l)" = 5 ] ||
    fail "import --max-rows-per-file 7: expected 1 + 1 + 3 data files"
expect 0 create "$DB" small --from products.csv --max-rows-per-file 5
[ "$(find "$DB/small.lance/data" -type f | wc -l)" = 4 ] ||
    fail "create --max-rows-per-file 5: expected 4 data files"

# Arrow IPC input, and a file with no rows
expect 0 convert products.csv "$TMP/products.arrow"
expect_msg "created table 'fromarrow' with 20 rows (version 1)" \
    create "$DB" fromarrow --from "$TMP/products.arrow"
same_output scan "$DB" fromarrow -f jsonl -- inspect products.csv -f jsonl
expect 0 create "$DB" fromarrow --from "$TMP/products.arrow" --mode overwrite --input-format arrow
expect_out 20 count "$DB" fromarrow
head -n 1 products.csv >"$TMP/header-only.csv"
expect_msg "added 0 rows to 'fromarrow' (version 2)" import "$DB" fromarrow "$TMP/header-only.csv" \
    --types id:int64,name:utf8,description:utf8,price:float64,in_stock:bool,added:date32,tags:utf8
expect 0 versions "$DB" fromarrow -f csv
[ "$(wc -l <"$TMP/out")" = 3 ] || fail "importing no rows committed a version"
expect_err 1 "has type utf8 in the data but int64" import "$DB" fromarrow "$TMP/header-only.csv"
expect 0 drop "$DB" fromarrow

# ---- tags -------------------------------------------------------------------------
expect_out "$(printf 'tag | version\n----+--------')" tag "$DB" csv21 list
expect 0 tag "$DB" csv21 create first 1
expect 0 tag "$DB" csv21 create now
expect 0 tag --format=csv "$DB" csv21 create second 2
golden tables_tag_list.txt tag "$DB" csv21 list
expect_out "$(printf 'tag,version\nfirst,1\nnow,3\nsecond,2')" tag "$DB" csv21 list --format csv
expect_out "$(printf '%s\n' '{"tag":"first","version":1}' '{"tag":"now","version":3}' \
    '{"tag":"second","version":2}')" tag -f jsonl "$DB" csv21 list
expect_out 20 count "$DB" csv21 --tag first
expect_out 60 count "$DB" csv21 --tag now
same_output scan "$DB" csv21 --tag second -f jsonl -- scan "$DB" csv21 --version 2 -f jsonl
same_output schema "$DB" csv21 --tag first -- schema "$DB" csv21 --version 1
expect 0 tag "$DB" csv21 delete second
expect_out "$(printf 'tag,version\nfirst,1\nnow,3')" tag "$DB" csv21 list -f csv
expect_err 1 "no tag 'second'" scan "$DB" csv21 --tag second
expect_err 1 "no tag 'second'" tag "$DB" csv21 delete second
expect_err 1 "already has a tag 'first'" tag "$DB" csv21 create first
expect_err 1 "bad..name" tag "$DB" csv21 create bad..name
expect_err 1 "cannot tag version 9" tag "$DB" csv21 create later 9

# ---- restore ------------------------------------------------------------------------
expect_msg "restored 'csv21' to version 1 (version 4)" restore "$DB" csv21 1
expect_out 20 count "$DB" csv21
expect 0 restore -q "$DB" csv21 3
[ -s "$TMP/err" ] && fail "restore --quiet printed: $(cat "$TMP/err")"
expect_out 60 count "$DB" csv21
expect 0 versions "$DB" csv21 -f csv
cut -d, -f1,3 "$TMP/out" | tail -n 2 >"$TMP/got"
printf '4,restore\n5,restore\n' >"$TMP/want"
same_text "$TMP/got" "$TMP/want" "versions after two restores"
expect_out 20 count "$DB" csv21 --version 4
expect_out 60 count "$DB" csv21 --tag now

# ---- create modes -------------------------------------------------------------------
expect_err 1 "already exists" create "$DB" plain --from products.csv
grep -qF -- "--mode overwrite" "$TMP/err" || fail "create over a table does not suggest --mode"
expect_msg "table 'plain' exists (version 1); nothing added" \
    create "$DB" plain --from products.csv --mode exist_ok
expect_out 20 count "$DB" plain
expect_err 1 "column" create "$DB" plain --from products.jsonl --mode exist_ok
expect 0 import "$DB" plain products.csv -q
expect_msg "created table 'plain' with 20 rows (version 3)" \
    create "$DB" plain --from products.csv --mode overwrite
expect_out 20 count "$DB" plain
expect_out 40 count "$DB" plain --version 2
expect_msg "created table 'plain' with 20 rows (version 4)" \
    create "$DB" plain --from products.jsonl --mode overwrite
golden tables_schema_jsonl.txt schema "$DB" plain
golden tables_schema_csv.txt schema "$DB" plain --version 3
expect_msg "created table 'fresh' with 20 rows (version 1)" \
    create "$DB" fresh --from products.csv --mode exist_ok

# ---- progress on a terminal ---------------------------------------------------------
# `script` runs the command with a pseudo-terminal as its standard error.
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$GENEVA' import '$DB' fresh products.csv" /dev/null >"$TMP/tty" 2>&1
    checks=$((checks + 1))
    grep -q "read 20 rows (.* rows/s)" "$TMP/tty" || fail "no progress line on a terminal"
    grep -q "$(printf '\r\033\\[K')added 20 rows" "$TMP/tty" ||
        fail "progress line not erased before the summary: $(od -c "$TMP/tty" | head)"
    script -qec "'$GENEVA' import '$DB' fresh products.csv --quiet" /dev/null >"$TMP/tty" 2>&1
    checks=$((checks + 1))
    [ -s "$TMP/tty" ] && fail "import --quiet on a terminal printed: $(od -c "$TMP/tty" | head)"
fi
expect 0 import "$DB" fresh products.csv
grep -q "$(printf '\r')" "$TMP/err" && fail "progress shown when stderr is not a terminal"
expect_out 80 count "$DB" fresh

# ---- drop -----------------------------------------------------------------------------
expect 0 drop "$DB" json22
[ -s "$TMP/out" ] && fail "drop printed something"
expect_out "$(printf 'csv21\ncsv22\nfresh\njson21\nplain\nsmall')" tables "$DB"
expect_err 1 "table 'json22' does not exist in database '$DB'" drop "$DB" json22
expect_err 1 "table 'json22' does not exist in database '$DB'" scan "$DB" json22
mkdir -p "$TMP/empty"
expect 0 tables "$TMP/empty"
[ -s "$TMP/out" ] && fail "tables of an empty database printed something"

# ---- usage errors ---------------------------------------------------------------------
expect_err 2 "missing DB" create
expect_err 2 "missing TABLE" create "$DB"
expect_err 2 "missing --from FILE" create "$DB" t
expect_err 2 "unexpected argument 'x'" create "$DB" t x --from products.csv
expect_err 2 "bad --mode 'replace'" create "$DB" t --from products.csv --mode replace
expect_err 2 "bad --storage-version '2.0'" create "$DB" t --from products.csv --storage-version 2.0
expect_err 2 "bad --max-rows-per-file '0'" create "$DB" t --from products.csv --max-rows-per-file 0
expect_err 2 "bad --max-rows-per-file '1k'" import "$DB" t products.csv --max-rows-per-file 1k
expect_err 2 "option '--from' needs a value" create "$DB" t --from
expect_err 2 "unknown option '--mode'" import "$DB" csv21 products.csv --mode overwrite
expect_err 2 "bad --input-format 'xls'" import "$DB" csv21 products.csv --input-format xls
expect_err 2 "missing FILE" import "$DB" csv21
expect_err 2 "missing DB" tables
expect_err 2 "unexpected argument 'x'" tables "$DB" x
expect_err 2 "missing TABLE" drop "$DB"
expect_err 2 "missing TABLE" schema "$DB"
expect_err 2 "missing TABLE" scan "$DB"
expect_err 2 "unexpected argument 'x'" scan "$DB" csv21 x
expect_err 2 "unexpected argument 'x'" count "$DB" csv21 x
expect_err 2 "bad --version 'x'" scan "$DB" csv21 --version x
expect_err 2 "bad --version '0'" count "$DB" csv21 --version 0
expect_err 2 "bad --version '-1'" scan "$DB" csv21 --version -1
expect_err 2 "--version and --tag exclude each other" scan "$DB" csv21 --version 1 --tag first
expect_err 2 "--version and --tag exclude each other" count "$DB" csv21 --tag first --version 1
expect_err 2 "--version and --tag exclude each other" schema "$DB" csv21 --tag first --version 1
expect_err 2 "bad --limit '-1'" scan "$DB" csv21 --limit -1
expect_err 2 "bad --offset 'x'" scan "$DB" csv21 --offset x
expect_err 2 "bad --format 'xml'" scan "$DB" csv21 --format xml
expect_err 2 "bad --columns" scan "$DB" csv21 --columns id,,name
expect_err 2 "--format arrow needs --out FILE" scan "$DB" csv21 --format arrow
expect_err 2 "--format arrow needs --out FILE" scan "$DB" csv21 --format arrow --out -
expect_err 2 "bad --format 'arrow'" versions "$DB" csv21 --format arrow
expect_err 2 "missing VERSION" restore "$DB" csv21
expect_err 2 "bad VERSION 'latest'" restore "$DB" csv21 latest
expect_err 2 "bad VERSION '0'" restore "$DB" csv21 0
expect_err 2 "missing ACTION" tag "$DB" csv21
expect_err 2 "unknown action 'rename'" tag "$DB" csv21 rename a b
expect_err 2 "missing NAME" tag "$DB" csv21 create
expect_err 2 "missing NAME" tag "$DB" csv21 delete
expect_err 2 "unexpected argument 'x'" tag "$DB" csv21 list x
expect_err 2 "unexpected argument 'x'" tag "$DB" csv21 delete a x
expect_err 2 "bad VERSION 'one'" tag "$DB" csv21 create a one

# ---- runtime errors ---------------------------------------------------------------------
expect_err 1 "database '$TMP/nodb' does not exist" scan "$TMP/nodb" t
[ -e "$TMP/nodb" ] && fail "scan of a missing database created it"
for c in tables; do
    expect_err 1 "database '$TMP/nodb' does not exist" "$c" "$TMP/nodb"
done
for c in drop schema count versions; do
    expect_err 1 "database '$TMP/nodb' does not exist" "$c" "$TMP/nodb" t
done
expect_err 1 "database '$TMP/nodb' does not exist" import "$TMP/nodb" t products.csv
expect_err 1 "database '$TMP/nodb' does not exist" restore "$TMP/nodb" t 1
expect_err 1 "database '$TMP/nodb' does not exist" tag "$TMP/nodb" t list
[ -e "$TMP/nodb" ] && fail "a read of a missing database created it"
expect_err 1 "is not a directory" tables products.csv
expect_err 1 "table 'nope' does not exist in database '$DB'" scan "$DB" nope
expect_err 1 "table 'nope' does not exist in database '$DB'" import "$DB" nope products.csv
expect_err 1 "table 'nope' does not exist in database '$DB'" versions "$DB" nope
expect_err 1 "table 'nope' does not exist in database '$DB'" tag "$DB" nope list
expect_err 1 "table 'nope' does not exist in database '$DB'" count "$DB" nope
expect_err 1 "no version 99" scan "$DB" csv21 --version 99
expect_err 1 "no version 99" count "$DB" csv21 --version 99
expect_err 1 "no version 99" restore "$DB" csv21 99
expect_err 1 "no tag 'nosuch'" scan "$DB" csv21 --tag nosuch
expect_err 1 "no column 'nope'" scan "$DB" csv21 --columns id,nope
expect_err 1 "starts with '.'" create "$DB" ../evil --from products.csv
expect_err 1 "contains '/'" create "$DB" a/b --from products.csv
expect_err 1 "starts with '.'" scan "$DB" .hidden
expect_err 1 "contains '/'" drop "$DB" x/../csv21
expect 0 tables "$DB"
grep -q csv21 "$TMP/out" || fail "drop with a bad name removed a table"
[ -e "$TMP/evil.lance" ] && fail "a bad table name escaped the database"
expect_err 1 "no-such-file.csv" create "$DB" t --from no-such-file.csv
expect_err 1 "no-such-file.csv" create "$TMP/newdb" t --from no-such-file.csv
[ -e "$TMP/newdb" ] && fail "create from a missing file created the database directory"
expect_err 1 "table 't' does not exist" scan "$DB" t
expect_err 1 "no-such-file.csv" import "$DB" csv21 no-such-file.csv
# schema mismatches on import, and the table is unchanged
expect_err 1 "column" import "$DB" csv21 products.jsonl
expect_err 1 "type int32" import "$DB" csv21 products.csv --types id:int32
printf 'a,b\n1,2\n3,4\n5\n' >"$TMP/ragged.csv"
expect_err 1 "line 4" create "$DB" ragged --from "$TMP/ragged.csv"
expect_err 1 "table 'ragged' does not exist" count "$DB" ragged
printf 'id,name,description,price,in_stock,added,tags\n1,a,b,1.5,true,2024-01-01,x\n' \
    >"$TMP/one.csv"
printf '2,a,b,oops,true,2024-01-01,x\n' >>"$TMP/one.csv"
expect_err 1 "line 3" import "$DB" csv21 "$TMP/one.csv" --types price:float64
expect_out 60 count "$DB" csv21
expect 0 versions "$DB" csv21
[ "$(wc -l <"$TMP/out")" = 7 ] || fail "failed imports added versions"
if [ -w /dev/full ]; then
    expect_err 1 "cannot write" scan "$DB" csv21 -o /dev/full
fi

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
