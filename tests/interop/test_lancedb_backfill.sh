#!/usr/bin/env bash
# Interop of virtual columns with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0):
# geneva creates a table of several fragments, adds two UDF columns (text_len -> int32,
# hash_embed -> fixed_size_list<float32, 8>) and backfills them in several partial
# commits (Lance DataReplacement transactions: a filtered run, then the rest, and a
# recompute over files that already hold the column). LanceDB then opens the table and
# finds every value (len = code points of name; emb: 8 finite floats, unit length),
# filters on the new column, keeps the `geneva.udf` field metadata, and appends a row
# whose len a further backfill computes. A backfill with --on-error skip records its
# failed rows in <db>/__system/geneva_errors, which LanceDB opens as a database.
#
#   bash test_lancedb_backfill.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# Same conventions as test_lancedb.sh: GNV_NPM_CACHE shares installs, exit 77 (skip)
# without node/npm unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-backfill
DEMO=$BUILD/examples/udfs/libdemo_udfs.so

interop_need_node
[ -f "$DEMO" ] || skip "the demo UDF plugin is not built ($DEMO)"
rm -rf "$WORK"
mkdir -p "$WORK"
SAMPLE=$SRC/tests/data/sample

# The LanceDB side, copied next to the packages so node resolves them.
cat >"$WORK/check_backfill.mjs" <<'JS'
import * as lancedb from "@lancedb/lancedb";
const [mode, dbDir, table, nrows] = process.argv.slice(2);
if (mode === "errors") {
  // The system tables are a LanceDB database of their own.
  const sys = await lancedb.connect(`${dbDir}/__system`);
  if (!(await sys.tableNames()).includes("geneva_errors")) {
    console.error(`no geneva_errors in ${await sys.tableNames()}`);
    process.exit(1);
  }
  const errs = await sys.openTable("geneva_errors");
  // `table` is an SQL keyword: quoted with backticks (0.37.1 reads "table" as a string)
  const rows = await errs.query().where(`\`table\` = '${table}'`).toArray();
  const bad = rows.filter((r) => r.column !== "f" || r.udf_name !== "fail_on_7" ||
    r.error_type !== "udf_error" || r.attempt !== 1 || !r.message.includes("ends in 7") ||
    r.job_id.length !== 36 || typeof r.row_address !== "bigint");
  if (rows.length !== Number(nrows) || bad.length) {
    console.error(`${rows.length} error rows (expected ${nrows}), bad: ${JSON.stringify(bad.slice(0, 2), (k, v) => typeof v === "bigint" ? v.toString() : v)}`);
    process.exit(1);
  }
  console.log(`ok geneva_errors: ${rows.length} rows of ${table}`);
  process.exit(0);
}
const db = await lancedb.connect(dbDir);
const tbl = await db.openTable(table);
if (mode === "append") {
  // One row through LanceDB: a copy of the first with a new id and name, len left NULL
  // (for geneva to compute) and emb given. (Arrow JS writes an all-NULL boolean column
  // with an empty values buffer, which LanceDB refuses, so no column is all NULL but len.)
  const [first] = await tbl.query().limit(1).toArray();
  const row = { ...first, id: 1000, name: "añadido por LanceDB", len: null,
                emb: [1, 0, 0, 0, 0, 0, 0, 0] };
  await tbl.add([row]);
  process.exit(0);
}
const got = await tbl.query().toArrow();
const errors = [];
if (got.numRows !== Number(nrows)) errors.push(`${got.numRows} rows, expected ${nrows}`);
const name = got.getChild("name"), len = got.getChild("len"), emb = got.getChild("emb");
for (let i = 0; i < got.numRows; i++) {
  const s = name.get(i), l = len.get(i), e = emb.get(i);
  const want = s === null ? null : [...s].length;
  if (l !== want) errors.push(`row ${i}: len ${l}, expected ${want} for ${JSON.stringify(s)}`);
  if (s === null) continue;
  if (e === null) { errors.push(`row ${i}: emb is NULL`); continue; }
  const v = Array.from(e);
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  if (v.length !== 8 || v.some((x) => !Number.isFinite(x)) || Math.abs(norm - 1) > 1e-3)
    errors.push(`row ${i}: emb ${JSON.stringify(v)} is not a unit vector of 8 floats`);
}
const n5 = await tbl.countRows("len > 15");
const want5 = Array.from({ length: got.numRows }, (_, i) => len.get(i)).filter((x) => x !== null && x > 15).length;
if (n5 !== want5) errors.push(`countRows("len > 15") = ${n5}, expected ${want5}`);
const schema = await tbl.schema();
const meta = schema.fields.find((f) => f.name === "len").metadata;
const def = meta.get("geneva.udf");
if (!def || JSON.parse(def).function !== "text_len")
  errors.push(`field metadata of len: ${JSON.stringify([...meta])}`);
const ops = (await tbl.listVersions()).length;
if (errors.length) {
  for (const e of errors.slice(0, 10)) console.error(e);
  process.exit(1);
}
console.log(`ok ${table}: ${got.numRows} rows, ${ops} versions`);
JS
lancedb_npm_setup "$WORK/check_backfill.mjs"

for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    CHECK="node $d/check_backfill.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"
    n=$(($(wc -l <"$SAMPLE/products.csv") - 1))
    for sv in 2.1 2.2; do
        T=p${sv/./}
        "$CLI" create "$DB" "$T" --from "$SAMPLE/products.csv" --max-rows-per-file 6 \
            --storage-version "$sv" -q &&
            "$CLI" add-column -q "$DB" "$T" len --udf "$DEMO:text_len" --inputs name &&
            "$CLI" add-column -q "$DB" "$T" emb --udf "$DEMO:hash_embed" --inputs name &&
            "$CLI" backfill -q "$DB" "$T" len --where 'id <= 7' --commit-granularity 1 &&
            "$CLI" backfill -q "$DB" "$T" len --checkpoint-size 4 &&
            "$CLI" backfill -q "$DB" "$T" emb --executor process --concurrency 2 &&
            "$CLI" backfill -q "$DB" "$T" len --where '1=1' --checkpoint-size 5 ||
            { fail "$v $sv: geneva could not make and backfill the table"; continue; }
        $CHECK check "$DB" "$T" "$n" || fail "$v $sv: LanceDB reading our backfilled columns"
        $CHECK append "$DB" "$T" || { fail "$v $sv: LanceDB could not append"; continue; }
        "$CLI" backfill -q "$DB" "$T" len && "$CLI" backfill -q "$DB" "$T" emb ||
            fail "$v $sv: backfill after LanceDB's append"
        $CHECK check "$DB" "$T" "$((n + 1))" || fail "$v $sv: LanceDB after the second backfill"
        n7=$(awk -F, 'NR > 1 && $1 % 10 == 7' "$SAMPLE/products.csv" | wc -l)
        "$CLI" add-column -q "$DB" "$T" f --udf "$DEMO:fail_on_7" --inputs id &&
            "$CLI" backfill -q "$DB" "$T" f --on-error skip ||
            fail "$v $sv: backfill with --on-error skip"
        $CHECK errors "$DB" "$T" "$n7" || fail "$v $sv: LanceDB reading geneva_errors"
    done
done

[ "$failures" = 0 ] && echo "PASS" || echo "$failures failure(s)"
[ "$failures" = 0 ]
