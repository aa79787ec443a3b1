// The LanceDB side of test_lancedb.sh. Run from the npm directory of one LanceDB version
// (it imports "@lancedb/lancedb" and "apache-arrow" from there).
//
//   node lancedb_check.mjs prep SRC.arrow OUTDIR
//       OUTDIR/all.arrow: SRC without the columns LanceDB cannot open (see DROPPED),
//       OUTDIR/vec.arrow: id int64, name utf8, vec fixed_size_list<float32, 8> (no
//       nulls, for the vector search); and each one's rows as canonical JSONL (.jsonl).
//   node lancedb_check.mjs read DB TABLE EXPECTED.jsonl NVERSIONS
//       LanceDB opens the table: every row and value equal EXPECTED, countRows(),
//       countRows("id % 3 = 0"), listVersions() has NVERSIONS versions, and on a table
//       with a `vec` column the 5 nearest rows of table.search() are the brute-force ones.
//   node lancedb_check.mjs read-large DB TABLE EXPECTED.jsonl
//       the same for the large_list table of gen_all_types (rows only).
//   node lancedb_check.mjs modify DB TABLE APPEND.arrow OUT.jsonl
//       LanceDB appends APPEND's rows, then deletes "id % 7 = 3"; writes the table's
//       rows as LanceDB reads them to OUT.jsonl and prints countRows().
//   node lancedb_check.mjs create DB TABLE FIRST.jsonl MORE.jsonl
//       LanceDB creates TABLE (id int64, name utf8, score float64, vec
//       fixed_size_list<float32, 4>) with 50 rows, written to FIRST.jsonl; MORE.jsonl
//       gets 30 more rows of the same schema for `geneva import`.
//
// Exit status 1 with the first differences on stderr.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as arrow from "apache-arrow";
import * as lancedb from "@lancedb/lancedb";
import { tableToJsonl, compareJsonl, floatBitsOf } from "./arrow_js_common.mjs";

// LanceDB loads apache-arrow through require() (the CommonJS build) while this ES module
// gets the ESM build: two copies of every class, so Arrow JS tables cross between them
// only as IPC bytes.
const cjsArrow = createRequire(import.meta.url)("apache-arrow");
const toEsm = (t) => arrow.tableFromIPC(cjsArrow.tableToIPC(t, "stream"));
const toCjs = (t) => cjsArrow.tableFromIPC(arrow.tableToIPC(t, "stream"));

// Lance stores a timestamp's type as the text "timestamp:<unit>:<tz>" and splits it at
// ':', so a zone with a colon ("+05:30") makes every schema access of the table panic
// ("Unsupported timestamp type: timestamp:ns:+05:30", lance-core datatypes.rs). Lance
// itself cannot store such a column either, so our writer refuses it (GNV_ENOTSUP).
const DROPPED = ["ts_ns_tz"];

let failed = 0;
function check(what, diffs) {
  if (diffs.length === 0) return;
  failed++;
  console.error(`FAIL ${what}:`);
  for (const d of diffs.slice(0, 10)) console.error(`  ${d}`);
}

const jsonl = (t) => tableToJsonl(t).map((l) => l + "\n").join("");

function prep(src, outdir) {
  const t = arrow.tableFromIPC(fs.readFileSync(src));
  const all = t.select(t.schema.fields.map((f) => f.name).filter((n) => !DROPPED.includes(n)));
  fs.writeFileSync(`${outdir}/all.arrow`, arrow.tableToIPC(all, "file"));
  fs.writeFileSync(`${outdir}/all.jsonl`, jsonl(all));
  fs.writeFileSync(`${outdir}/all.floats.json`, JSON.stringify(floatBitsOf(all.schema)));

  const n = 300, dim = 8;
  const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
  const vals = Float32Array.from({ length: n * dim }, (_, k) => Math.sin(k * 0.37) * 10);
  const vecType = new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true));
  const vec = arrow.makeData({
    type: vecType, length: n, nullCount: 0,
    child: arrow.makeData({ type: new arrow.Float32(), length: n * dim, data: vals }),
  });
  const names = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `row ${i}`), new arrow.Utf8());
  const schema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("name", new arrow.Utf8(), true),
    new arrow.Field("vec", vecType, true),
  ]);
  const rb = new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(schema.fields), length: n, nullCount: 0,
    children: [arrow.makeData({ type: new arrow.Int64(), length: n, data: ids }), names.data[0], vec],
  }));
  const vt = new arrow.Table([rb]);
  fs.writeFileSync(`${outdir}/vec.arrow`, arrow.tableToIPC(vt, "file"));
  fs.writeFileSync(`${outdir}/vec.jsonl`, jsonl(vt));
  fs.writeFileSync(`${outdir}/vec.floats.json`, JSON.stringify(floatBitsOf(vt.schema)));
}

// The rows of a LanceDB table, in scan order, as an Arrow JS (ESM) table.
async function rowsOf(tbl) {
  return toEsm(await tbl.query().toArrow());
}

async function read(dir, name, expPath, nversions) {
  const db = await lancedb.connect(dir);
  const tbl = await db.openTable(name);
  const got = await rowsOf(tbl);
  const exp = fs.readFileSync(expPath, "utf8");
  check(`${name}: rows read by LanceDB`, compareJsonl(exp, jsonl(got), floatBitsOf(got.schema)));
  const nexp = exp.split("\n").filter((l) => l !== "").length;
  const n = await tbl.countRows();
  if (n !== nexp) check(`${name}: countRows()`, [`expected ${nexp}, got ${n}`]);
  const ids = got.getChild("id").toArray();
  const want3 = Array.from(ids).filter((v) => BigInt(v) % 3n === 0n).length;
  const n3 = await tbl.countRows("id % 3 = 0");
  if (n3 !== want3) check(`${name}: countRows("id % 3 = 0")`, [`expected ${want3}, got ${n3}`]);
  const versions = await tbl.listVersions();
  if (versions.length !== Number(nversions))
    check(`${name}: listVersions()`, [`expected ${nversions} versions, got ${versions.length}: ` +
      versions.map((v) => v.version).join(",")]);
  if (got.schema.fields.some((f) => f.name === "vec")) await search(tbl, got, name);
}

// table.search(q).limit(5) (L2, flat: no index) must give the brute-force nearest rows.
async function search(tbl, got, name) {
  const vecs = got.getChild("vec"), ids = got.getChild("id");
  const q = Array.from(vecs.get(7)).map((x, k) => x + 0.25 * (k % 3));
  const dist = [];
  for (let i = 0; i < got.numRows; i++) {
    const v = vecs.get(i);
    if (v === null) continue;
    let d = 0;
    for (let k = 0; k < q.length; k++) d += (v.get(k) - q[k]) ** 2;
    dist.push([d, BigInt(ids.get(i))]);
  }
  dist.sort((a, b) => a[0] - b[0]);
  const res = toEsm(await tbl.search(q).limit(5).toArrow());
  const gotIds = Array.from(res.getChild("id").toArray(), (x) => BigInt(x));
  const gotD = Array.from(res.getChild("_distance").toArray());
  const diffs = [];
  for (let k = 0; k < 5; k++) {
    // Distances are float32 in Lance: compare them, not ids, where two are (nearly) tied.
    if (gotIds[k] !== dist[k][1] && Math.abs(gotD[k] - dist[k][0]) > 1e-3 * (1 + dist[k][0]))
      diffs.push(`hit ${k}: expected id ${dist[k][1]} (distance ${dist[k][0]}), got id ${gotIds[k]} (distance ${gotD[k]})`);
  }
  check(`${name}: search(vec).limit(5)`, diffs);
}

// geneva_large (large_list columns): Arrow JS 18 has no LargeList, so LanceDB's
// toArrow() cannot hand them over ("Unrecognized type: LargeList (21)"); LanceDB reads
// them fine, and casting to List in the query's SQL projection lets every value through.
async function readLarge(dir, name, expPath) {
  const tbl = await (await lancedb.connect(dir)).openTable(name);
  const got = toEsm(await tbl.query().select({
    id: "id",
    ll: "arrow_cast(ll, 'List(Utf8)')",
    lll: "arrow_cast(lll, 'List(List(Int32))')",
    lst: `arrow_cast(lst, 'List(Struct("a": Int64, "b": Binary))')`,
  }).toArrow());
  const exp = fs.readFileSync(expPath, "utf8");
  check(`${name}: rows read by LanceDB (large lists cast to lists)`, compareJsonl(exp, jsonl(got)));
}

async function modify(dir, name, appendPath, outPath) {
  const db = await lancedb.connect(dir);
  const tbl = await db.openTable(name);
  await tbl.add(cjsArrow.tableFromIPC(fs.readFileSync(appendPath)));
  await tbl.delete("id % 7 = 3");
  fs.writeFileSync(outPath, jsonl(await rowsOf(tbl)));
  console.log(await tbl.countRows());
}

function simpleRows(from, n) {
  const rows = [];
  for (let i = from; i < from + n; i++) {
    rows.push({
      id: i,
      name: i % 5 === 2 ? null : `name ${i} ✓`,
      score: i % 6 === 4 ? null : i * 1.25 - 7.5,
      vec: i % 9 === 8 ? null : [i * 0.5, -i, Math.fround(i / 3), 1e-3 * i],
    });
  }
  return rows;
}

async function create(dir, name, firstPath, morePath) {
  const schema = new cjsArrow.Schema([
    new cjsArrow.Field("id", new cjsArrow.Int64(), true),
    new cjsArrow.Field("name", new cjsArrow.Utf8(), true),
    new cjsArrow.Field("score", new cjsArrow.Float64(), true),
    new cjsArrow.Field("vec", new cjsArrow.FixedSizeList(4,
      new cjsArrow.Field("item", new cjsArrow.Float32(), true)), true),
  ]);
  const db = await lancedb.connect(dir);
  const first = simpleRows(0, 50);
  const tbl = await db.createTable(name, first.map((r) => ({ ...r, id: BigInt(r.id) })), { schema });
  fs.writeFileSync(firstPath, jsonl(await rowsOf(tbl)));
  const more = simpleRows(50, 30);
  // Floats as JSON numbers: integral values keep ".0" so that the reader keeps a float.
  const num = (x) => (Number.isInteger(x) ? x.toFixed(1) : String(x));
  fs.writeFileSync(morePath, more.map((r) =>
    `{"id":${r.id},"name":${JSON.stringify(r.name)},"score":${r.score === null ? "null" : num(r.score)},` +
    `"vec":${r.vec === null ? "null" : "[" + r.vec.map(num).join(",") + "]"}}\n`).join(""));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "prep") prep(...args);
  else if (cmd === "read") await read(...args);
  else if (cmd === "read-large") await readLarge(...args);
  else if (cmd === "modify") await modify(...args);
  else if (cmd === "create") await create(...args);
  else {
    console.error("usage: node lancedb_check.mjs prep|read|read-large|modify|create ...");
    process.exit(2);
  }
} catch (err) {
  console.error(`FAIL ${cmd} ${args.join(" ")}: ${err.stack || err.message}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
