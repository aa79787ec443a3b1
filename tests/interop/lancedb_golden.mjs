// The LanceDB side of test_lancedb_golden.sh's stable row id checks. Run from the npm
// directory of one LanceDB version.
//
//   node lancedb_golden.mjs stable-create DB TABLE MORE.jsonl
//       LanceDB creates TABLE with stable row ids (new_table_enable_stable_row_ids):
//       100 rows {id int64, name utf8, v float64}, deletes "id % 10 = 3" and updates
//       "id < 5" (which moves those rows, keeping their ids); MORE.jsonl gets 40 rows
//       (ids 1000..1039) for `geneva import`.
//   node lancedb_golden.mjs stable-check DB TABLE OUT.jsonl
//       after the import: LanceDB reads the rows with _rowid; every _rowid is distinct,
//       LanceDB's rows keep theirs (id k has _rowid k) and the imported rows have
//       100 + (id - 1000); takeRowIds finds an imported row by its id; an update of an
//       imported row keeps its _rowid; an append by LanceDB continues at 140. Writes
//       the rows as LanceDB reads them, with _rowid, to OUT.jsonl, and only their id
//       and _rowid to OUT.jsonl.ids.
//
// Exit status 1 with the first differences on stderr.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as arrow from "apache-arrow";
import * as lancedb from "@lancedb/lancedb";
import { tableToJsonl } from "./arrow_js_common.mjs";

const cjsArrow = createRequire(import.meta.url)("apache-arrow");
const toEsm = (t) => arrow.tableFromIPC(cjsArrow.tableToIPC(t, "stream"));

let failed = 0;
function check(what, ok, detail) {
  if (ok) return;
  failed++;
  console.error(`FAIL ${what}: ${detail}`);
}

const schema = new cjsArrow.Schema([
  new cjsArrow.Field("id", new cjsArrow.Int64(), true),
  new cjsArrow.Field("name", new cjsArrow.Utf8(), true),
  new cjsArrow.Field("v", new cjsArrow.Float64(), true),
]);
const row = (i) => ({ id: BigInt(i), name: i % 7 === 2 ? null : `row ${i}`, v: i * 0.5 });

async function stableCreate(dir, name, morePath) {
  const db = await lancedb.connect(dir);
  const rows = Array.from({ length: 100 }, (_, i) => row(i));
  const t = await db.createTable(name, rows, {
    schema, mode: "overwrite", storageOptions: { new_table_enable_stable_row_ids: "true" },
  });
  await t.delete("id % 10 = 3");
  await t.update({ where: "id < 5", valuesSql: { v: "v + 1000" } });
  const more = [];
  for (let i = 1000; i < 1040; i++)
    more.push(`{"id":${i},"name":${i % 7 === 2 ? "null" : `"row ${i}"`},"v":${(i * 0.5).toFixed(1)}}`);
  fs.writeFileSync(morePath, more.join("\n") + "\n");
}

async function rowsWithIds(t) {
  return toEsm(await t.query().withRowId().toArrow());
}

async function stableCheck(dir, name, outPath) {
  const db = await lancedb.connect(dir);
  const t = await db.openTable(name);
  let got = await rowsWithIds(t);
  const ids = Array.from(got.getChild("id").toArray(), BigInt);
  const rids = Array.from(got.getChild("_rowid").toArray(), BigInt);
  check("row count", got.numRows === 90 + 40, `${got.numRows} rows, expected 130`);
  check("distinct _rowid", new Set(rids.map(String)).size === rids.length, "duplicates");
  for (let i = 0; i < ids.length; i++) {
    const want = ids[i] >= 1000n ? 100n + ids[i] - 1000n : ids[i];
    check(`_rowid of id ${ids[i]}`, rids[i] === want, `got ${rids[i]}, expected ${want}`);
  }
  // take by row id (LanceDB looks the id up in our fragment's sequence)
  const taken = toEsm(await t.takeRowIds([110n]).toArrow());
  check("takeRowIds([110])", taken.numRows === 1 && BigInt(taken.getChild("id").get(0)) === 1010n,
    `${taken.numRows} rows, id ${taken.numRows ? taken.getChild("id").get(0) : "-"}`);
  // an update moves our row and keeps its id; an append continues after ours
  await t.update({ where: "id = 1005", valuesSql: { v: "-1" } });
  await t.add(Array.from({ length: 10 }, (_, i) => row(2000 + i)));
  got = await rowsWithIds(t);
  const ids2 = Array.from(got.getChild("id").toArray(), BigInt);
  const rids2 = Array.from(got.getChild("_rowid").toArray(), BigInt);
  check("distinct _rowid after LanceDB's update and append",
    new Set(rids2.map(String)).size === rids2.length, "duplicates");
  for (let i = 0; i < ids2.length; i++) {
    let want = ids2[i] >= 2000n ? 140n + ids2[i] - 2000n : ids2[i] >= 1000n ? 100n + ids2[i] - 1000n : ids2[i];
    check(`_rowid of id ${ids2[i]} after LanceDB's update and append`, rids2[i] === want,
      `got ${rids2[i]}, expected ${want}`);
  }
  fs.writeFileSync(outPath, tableToJsonl(got).map((l) => l + "\n").join(""));
  fs.writeFileSync(outPath + ".ids", tableToJsonl(got.select(["id", "_rowid"])).map((l) => l + "\n").join(""));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "stable-create") await stableCreate(...args);
  else if (cmd === "stable-check") await stableCheck(...args);
  else {
    console.error("usage: node lancedb_golden.mjs stable-create|stable-check ...");
    process.exit(2);
  }
} catch (err) {
  console.error(`FAIL ${cmd} ${args.join(" ")}: ${err.stack || err.message}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
