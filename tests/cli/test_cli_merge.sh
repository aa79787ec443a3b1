#!/usr/bin/env bash
# CLI merge-insert: upserts of CSV and JSON Lines files into the sample products by key,
# each clause alone and together, partial files, composite keys, the conditions, and
# the usage and runtime errors (which make no new version).
#
# usage: bash test_cli_merge.sh <path-to-geneva> <source-dir> <build-dir>
CLI_TEST_NAME=merge
. "$(dirname "$0")/lib.sh"

DB=$TMP/db
F=$TMP/files
mkdir -p "$F"

# ---- help ---------------------------------------------------------------------------
expect 0 help
grep -q "^  merge-insert " "$TMP/out" || fail "'geneva help' does not list merge-insert"
expect 0 merge-insert --help && head -n 1 "$TMP/out" | grep -q "^usage: geneva merge-insert" ||
    fail "'geneva merge-insert --help' does not start with its usage line"

expect 0 create "$DB" p --from "$SAMPLE/products.csv" --max-rows-per-file 8 -q

# ---- upsert: update every column of matched rows, insert the others -------------------
cat >"$F/up.csv" <<'EOF'
id,name,description,price,in_stock,added,tags
2,Skillet,Cast iron,30.0,false,2024-05-01,kitchen
21,Kettle,Whistling,25.0,true,2024-06-01,kitchen;tea
EOF
expect_msg "merged into 'p' (version 2): 1 updated, 1 inserted, 0 deleted" \
    merge-insert "$DB" p "$F/up.csv" --on id --update-all --insert
expect_out "$(printf 'id,name,price,in_stock\n2,Skillet,30.0,false\n21,Kettle,25.0,true\n')" \
    scan "$DB" p -c id,name,price,in_stock -f csv --where 'id = 2 OR id = 21'
expect_out 21 count "$DB" p
expect 0 versions "$DB" p -f csv
grep -q '^2,.*,update$' "$TMP/out" || fail "version 2 is not an update: $(cat "$TMP/out")"

# ---- insert only (find-or-create): matched rows stay ----------------------------------
cat >"$F/ins.jsonl" <<'EOF'
{"id": 1, "name": "not this"}
{"id": 22, "name": "Mug"}
EOF
expect_msg "merged into 'p' (version 3): 0 updated, 1 inserted, 0 deleted" \
    merge-insert "$DB" p "$F/ins.jsonl" --on id --insert
expect_out "$(printf 'id,name,price\n1,Chef'"'"'s Knife,49.95\n22,Mug,\n')" \
    scan "$DB" p -c id,name,price -f csv --where 'id = 1 OR id = 22'

# ---- update some columns only, from a file with a subset of them ------------------------
cat >"$F/prices.csv" <<'EOF'
price,id,name
11.0,3,ignored
12.0,4,ignored
99.0,77,nobody
EOF
expect_msg "merged into 'p' (version 4): 2 updated, 0 inserted, 0 deleted" \
    merge-insert "$DB" p "$F/prices.csv" --on id --update price
expect_out "$(printf 'id,name,price\n3,Espresso Cups,11.0\n4,Crème Brûlée Torch,12.0\n')" \
    scan "$DB" p -c id,name,price -f csv --where 'id = 3 OR id = 4'
# only where the condition over target and source holds
expect_msg "merged into 'p' (version 5): 1 updated, 0 inserted, 0 deleted" \
    merge-insert "$DB" p "$F/prices.csv" --on id --update-all \
    --update-where 'source.price >= target.price AND target.id = 4'
expect_out "$(printf 'id,name,price\n3,Espresso Cups,11.0\n4,ignored,12.0\n')" \
    scan "$DB" p -c id,name,price -f csv --where 'id = 3 OR id = 4'

# ---- delete what the file lacks, where a filter holds -------------------------------------
cat >"$F/keep.csv" <<'EOF'
id
1
2
3
EOF
expect_msg "merged into 'p' (version 6): 0 updated, 0 inserted, 2 deleted" \
    merge-insert "$DB" p "$F/keep.csv" --on id --delete-not-in-source --where 'id > 20'
expect_out 20 count "$DB" p
expect_out 0 count "$DB" p --where 'id > 20'

# ---- composite keys: (name, in_stock) ------------------------------------------------------
cat >"$F/ck.csv" <<'EOF'
name,in_stock,price
Espresso Cups,false,1.0
Espresso Cups,true,2.0
EOF
expect_msg "merged into 'p' (version 7): 1 updated, 1 inserted, 0 deleted" \
    merge-insert "$DB" p "$F/ck.csv" --on name,in_stock --update-all --insert
expect_out "$(printf 'name,in_stock,price\nEspresso Cups,false,1.0\nEspresso Cups,true,2.0\n')" \
    scan "$DB" p -c name,in_stock,price -f csv --where "name = 'Espresso Cups'"

# nothing changes: no new version
expect_msg "merged into 'p': nothing changed (no new version)" \
    merge-insert "$DB" p "$F/ck.csv" --on name,in_stock --insert

# ---- errors ------------------------------------------------------------------------------
expect 2 merge-insert "$DB" p "$F/up.csv" --update-all
grep -qF -- "missing --on" "$TMP/err" || fail "no --on: $(cat "$TMP/err")"
expect 2 merge-insert "$DB" p "$F/up.csv" --on id
grep -qF -- "nothing to do" "$TMP/err" || fail "no clause: $(cat "$TMP/err")"
expect 2 merge-insert "$DB" p "$F/up.csv" --on id --update-all --update price
expect 2 merge-insert "$DB" p "$F/up.csv" --on id --insert --where 'id > 1'
grep -qF -- "--where needs --delete-not-in-source" "$TMP/err" || fail "--where: $(cat "$TMP/err")"
expect 2 merge-insert "$DB" p "$F/up.csv" --on id, --insert
expect 2 merge-insert "$DB" p --on id --insert
expect_err 1 "no column 'nope' to merge on" merge-insert "$DB" p "$F/up.csv" --on nope --insert
expect_err 1 "lacks the key column 'id'" merge-insert "$DB" p "$F/ck.csv" --on id --insert
printf 'id,price\n1,5\n' >"$F/int.csv"
expect_err 1 "source column 'price' is int64" merge-insert "$DB" p "$F/int.csv" --on id \
    --update-all
printf 'id,price\n1,5.0\n1,6.0\n' >"$F/dup.csv"
expect_err 1 "id = 1" merge-insert "$DB" p "$F/dup.csv" --on id --update-all
printf 'id,colour\n1,red\n' >"$F/extra.csv"
expect_err 1 "'colour'" merge-insert "$DB" p "$F/extra.csv" --on id --update-all
expect_err 1 "when_matched_condition" merge-insert "$DB" p "$F/up.csv" --on id --update-all \
    --update-where 'source.nope > 1'
expect_err 1 "does not exist" merge-insert "$DB" nope "$F/up.csv" --on id --insert
expect_err 1 "" merge-insert "$DB" p "$F/missing.csv" --on id --insert
expect 0 versions "$DB" p -f csv
[ "$(wc -l <"$TMP/out")" = 8 ] || fail "failed merges added versions: $(cat "$TMP/out")"

echo "$checks commands run, $failures failure(s)"
[ "$failures" = 0 ]
