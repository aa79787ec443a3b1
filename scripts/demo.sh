#!/bin/bash
# The main job, as a demo on bundled data: install what is needed, build, then load the
# sample product catalogue into a Lance table, add a UDF column and backfill it, filter
# with SQL, append, travel back to the first version, and export it as Arrow IPC.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
make build >/dev/null
geneva=build/geneva
sample=tests/data/sample
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
db=$out/db

step() { printf '\n== %s\n' "$*"; }

step "geneva inspect $sample/products.csv --limit 5"
$geneva inspect $sample/products.csv --limit 5

step "geneva create DB products --from $sample/products.csv"
$geneva create "$db" products --from $sample/products.csv

step "geneva scan DB products --columns id,name,price,in_stock --limit 5 --with-row-id"
$geneva scan "$db" products --columns id,name,price,in_stock --limit 5 --with-row-id

step "geneva import DB products $sample/products.csv   (append: a new version)"
$geneva import "$db" products $sample/products.csv

step "geneva count DB products; geneva count DB products --version 1"
$geneva count "$db" products
$geneva count "$db" products --version 1

udfs=build/examples/udfs/libdemo_udfs.so
step "geneva add-column DB products name_len --udf $udfs:text_len --inputs name"
$geneva add-column "$db" products name_len --udf "$udfs:text_len" --inputs name

step "geneva backfill DB products name_len   (forked workers, checkpointed; a rerun resumes)"
$geneva backfill "$db" products name_len

step "geneva scan DB products --columns id,name,name_len --where 'name_len > 12' --limit 5"
$geneva scan "$db" products --columns id,name,name_len --where 'name_len > 12' --limit 5

step "geneva add-column DB products price_eur --sql 'round(price * 0.92, 2)'"
$geneva add-column "$db" products price_eur --sql 'round(price * 0.92, 2)'
$geneva scan "$db" products --columns id,price,price_eur --limit 3

step "geneva versions DB products"
$geneva versions "$db" products

step "geneva scan DB products --format jsonl --limit 2"
$geneva scan "$db" products --format jsonl --limit 2

step "geneva scan DB products --format arrow --out products.arrow; geneva inspect products.arrow --schema-only"
$geneva scan "$db" products --format arrow --out "$out/products.arrow"
$geneva inspect "$out/products.arrow" --schema-only

step "the table is a Lance dataset: LanceDB opens $db/products.lance as it is"
ls "$db/products.lance"
