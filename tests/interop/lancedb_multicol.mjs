// LanceDB's side of test_lancedb_multicol.sh (copied next to the npm packages so node
// resolves them): node lancedb_multicol.mjs check|append DB_DIR TABLE NROWS
import * as lancedb from "@lancedb/lancedb";
const [mode, dbDir, table, nrows] = process.argv.slice(2);
const db = await lancedb.connect(dbDir);
const tbl = await db.openTable(table);
if (mode === "append") {
  // One row through LanceDB: a copy of the first with a new id and name, the group's
  // columns left NULL for geneva to compute.
  const [first] = await tbl.query().limit(1).toArray();
  const row = { ...first, id: 1000, name: "  añadido por   LanceDB ", w_first: null,
                w_count: null };
  await tbl.add([row]);
  process.exit(0);
}
const got = await tbl.query().toArrow();
const errors = [];
if (got.numRows !== Number(nrows)) errors.push(`${got.numRows} rows, expected ${nrows}`);
const name = got.getChild("name"), wf = got.getChild("w_first"), wc = got.getChild("w_count");
if (!wf || !wc) errors.push("no column w_first or w_count");
for (let i = 0; wf && wc && i < got.numRows; i++) {
  const s = name.get(i), f = wf.get(i), c = wc.get(i);
  const words = s === null ? null : s.split(/[ \t\n\r]+/).filter((w) => w.length);
  const wantC = words === null ? null : words.length;
  const wantF = words === null || words.length === 0 ? null : words[0];
  if (c !== wantC || f !== wantF)
    errors.push(`row ${i}: (${JSON.stringify(f)}, ${c}), expected (${JSON.stringify(wantF)}, ${wantC}) for ${JSON.stringify(s)}`);
}
const n2 = await tbl.countRows("w_count >= 3");
const want2 = Array.from({ length: got.numRows }, (_, i) => wc?.get(i)).filter((x) => x !== null && x >= 3).length;
if (n2 !== want2) errors.push(`countRows("w_count >= 3") = ${n2}, expected ${want2}`);
const schema = await tbl.schema();
for (const [col, field] of [["w_first", "first"], ["w_count", "count"]]) {
  const meta = schema.fields.find((f) => f.name === col)?.metadata;
  const def = meta?.get("geneva.udf");
  const d = def ? JSON.parse(def) : {};
  if (d.function !== "split_words" || d.field !== field ||
      JSON.stringify(d.columns) !== JSON.stringify(["w_first", "w_count"]))
    errors.push(`field metadata of ${col}: ${def}`);
}
if (errors.length) {
  for (const e of errors.slice(0, 10)) console.error(e);
  process.exit(1);
}
console.log(`ok ${table}: ${got.numRows} rows`);
