#!/usr/bin/env bash
# CLI basics: version, help, usage errors, inspect against golden files, convert round
# trips and runtime errors.
#
# usage: bash test_cli_basics.sh <path-to-geneva> <source-dir> <build-dir>
# GNV_UPDATE_GOLDEN=1 rewrites the golden files from the current output (check the
# diff by eye before committing them).
CLI_TEST_NAME=basics
. "$(dirname "$0")/lib.sh"

cd "$SAMPLE" || exit 1

# ---- version and help ---------------------------------------------------------
expect 0 version && grep -qx "geneva 0.1.0" "$TMP/out" || fail "version: no 'geneva 0.1.0' line"
grep -q "^libgeneva " "$TMP/out" || fail "version: no libgeneva line"
expect 0 --version
expect 0 --help && grep -q "^Commands:" "$TMP/out" || fail "--help lists no commands"
expect 0 -h
expect 0 help
for c in inspect convert version help; do
    grep -q "^  $c " "$TMP/out" || fail "'geneva help' does not list $c"
done
for c in inspect convert version help; do
    expect 0 "$c" --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva $c" ||
        fail "'geneva $c --help' does not start with its usage line"
    cp "$TMP/out" "$TMP/help.a"
    expect 0 "$c" -h && cmp -s "$TMP/help.a" "$TMP/out" || fail "'geneva $c -h' differs from --help"
    expect 0 help "$c" && cmp -s "$TMP/help.a" "$TMP/out" || fail "'geneva help $c' differs"
done
expect 2
grep -q "usage: geneva" "$TMP/err" || fail "no usage on stderr without a command"

# ---- usage errors -------------------------------------------------------------
expect_err 2 "unknown command 'frobnicate'" frobnicate
expect_err 2 "unknown command 'nope'" help nope
expect_err 2 "unknown option '--bogus'" inspect products.csv --bogus
grep -q -- "--help" "$TMP/err" || fail "usage error without a hint to --help"
expect_err 2 "unknown option '-z'" inspect -z products.csv
expect_err 2 "option '--limit' needs a value" inspect products.csv --limit
expect_err 2 "option '-f' needs a value" inspect products.csv -f
expect_err 2 "option '--stream' takes no value" convert a.csv b.arrow --stream=yes
expect_err 2 "unexpected argument '--x'" inspect products.csv -- --x
expect_err 2 "bad --limit 'abc'" inspect products.csv --limit abc
expect_err 2 "bad --limit '-1'" inspect products.csv --limit -1
expect_err 2 "bad --limit '5x'" inspect products.csv -n 5x
expect_err 2 "bad --format 'xml'" inspect products.csv --format xml
expect_err 2 "bad --input-format 'xls'" inspect products.csv --input-format xls
expect_err 2 "bad --delimiter" inspect products.csv --delimiter ab
expect_err 2 "missing FILE" inspect
expect_err 2 "unexpected argument 'b.csv'" inspect a.csv b.csv
expect_err 2 "expected IN and OUT" convert products.csv
expect_err 2 "bad --compression 'gzip'" convert products.csv "$TMP/x.arrow" --compression gzip
expect_err 2 "unexpected argument 'x'" version x

# ---- inspect against golden files ---------------------------------------------
for f in csv jsonl; do
    golden "inspect_${f}_table.txt" inspect "products.$f"
    golden "inspect_${f}_csv.txt" inspect "products.$f" --format csv
    golden "inspect_${f}_jsonl.txt" inspect "products.$f" --format jsonl
done
golden inspect_csv_limit.txt inspect products.csv --limit 3 --max-width 20
golden inspect_csv_schema.txt inspect products.csv --schema-only
golden inspect_csv_types.txt inspect products.csv --types id:int32,price:float32 --schema-only

# options before and after positionals, and -- ending the options
same_output inspect products.csv --format jsonl --limit 3 -- inspect --format=jsonl -n 3 products.csv
same_output inspect --no-schema products.csv -- inspect products.csv --no-schema
expect 0 inspect products.csv -o "$TMP/o.txt"
[ -s "$TMP/out" ] && fail "inspect -o also wrote to stdout"
expect 0 inspect products.csv
cmp -s "$TMP/o.txt" "$TMP/out" || fail "inspect -o wrote something else than stdout shows"
expect_err 1 "-weird.csv" inspect -- -weird.csv

# reading options
sed 's/"[^"]*"/x/g' products.csv | tr ',' '|' >"$TMP/pipe.csv"
expect 0 inspect "$TMP/pipe.csv" --delimiter '|' --format csv --limit 2
grep -q "^id,name,description" "$TMP/out" || fail "--delimiter '|' not applied"
sed 's/"[^"]*"/x/g' products.csv | tr ',' '\t' >"$TMP/tab.csv"
expect 0 inspect "$TMP/tab.csv" --delimiter tab --format csv --limit 2
grep -q "^id,name,description" "$TMP/out" || fail "--delimiter tab not applied"
tail -n +2 products.csv >"$TMP/nohead.csv"
expect 0 inspect "$TMP/nohead.csv" --no-header --schema-only
grep -q "^f0: " "$TMP/out" || fail "--no-header: columns not named f0, f1, ..."
cp products.jsonl "$TMP/products.data"
same_output inspect products.jsonl --format jsonl -- inspect "$TMP/products.data" \
    --input-format jsonl --format jsonl

# ---- convert, then inspect the .arrow file --------------------------------------
for f in csv jsonl; do
    for opts in "" "--compression lz4" "--compression zstd" "--stream"; do
        # shellcheck disable=SC2086
        expect 0 convert "products.$f" "$TMP/p.arrow" $opts || continue
        grep -qx "wrote 20 rows to $TMP/p.arrow" "$TMP/err" ||
            fail "convert $f $opts: no 'wrote 20 rows' message: $(cat "$TMP/err")"
        same_output inspect "products.$f" --format jsonl -- inspect "$TMP/p.arrow" --format jsonl
        same_output inspect "products.$f" --schema-only -- inspect "$TMP/p.arrow" --schema-only
    done
done
expect 0 convert products.csv "$TMP/t.arrow" --types id:int32
same_output inspect products.csv --format jsonl --types id:int32 -- \
    inspect "$TMP/t.arrow" --format jsonl
expect 0 inspect "$TMP/t.arrow" --schema-only
grep -qx "id: int32" "$TMP/out" || fail "convert --types: id is not int32"

# ---- runtime errors --------------------------------------------------------------
expect_err 1 "no-such-file.csv" inspect no-such-file.csv
expect_err 1 "no-such-file.csv" convert no-such-file.csv "$TMP/n.arrow"
[ -e "$TMP/n.arrow" ] && fail "convert of a missing file left an output file"
printf 'a,b\n1,2\n3,4\n5\n' >"$TMP/ragged.csv"
expect_err 1 "line 4" inspect "$TMP/ragged.csv"
expect_err 1 "ragged.csv" inspect "$TMP/ragged.csv" --format jsonl
expect_err 1 "line 4" convert "$TMP/ragged.csv" "$TMP/r.arrow"
if [ -w /dev/full ]; then
    expect_err 1 "cannot write" inspect products.csv -o /dev/full
fi

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
