// The LanceDB side of test_lancedb_columns.sh. Run from the npm directory of one
// LanceDB version (it imports "@lancedb/lancedb" and "apache-arrow" from there).
//
//   node lancedb_columns.mjs read DB TABLE EXPECTED.jsonl SCHEMA
//       LanceDB opens the table: its schema is SCHEMA ("name:type[!]" comma-separated,
//       '!' for non-nullable, types as Arrow JS prints them), every row and value
//       equals EXPECTED (what `geneva scan --format jsonl` printed), countRows() agrees.
//   node lancedb_columns.mjs version DB TABLE VERSION EXPECTED.jsonl
//       the rows of an older version (checkout), as EXPECTED.
//   node lancedb_columns.mjs append DB TABLE OUT.jsonl
//       LanceDB appends a copy of the table's first row and writes every row as
//       LanceDB reads them to OUT.jsonl.
//
// Exit status 1 with the first differences on stderr.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as arrow from "apache-arrow";
import * as lancedb from "@lancedb/lancedb";
import { tableToJsonl, compareJsonl, floatBitsOf } from "./arrow_js_common.mjs";

const cjsArrow = createRequire(import.meta.url)("apache-arrow");
const toEsm = (t) => arrow.tableFromIPC(cjsArrow.tableToIPC(t, "stream"));
const jsonl = (t) => tableToJsonl(t).map((l) => l + "\n").join("");

let failed = 0;
function check(what, diffs) {
  if (diffs.length === 0) return;
  failed++;
  console.error(`FAIL ${what}:`);
  for (const d of diffs.slice(0, 10)) console.error(`  ${d}`);
}

async function read(dir, name, expPath, schemaText) {
  const db = await lancedb.connect(dir);
  const tbl = await db.openTable(name);
  const got = toEsm(await tbl.query().toArrow());
  const schema = got.schema.fields.map((f) => `${f.name}:${f.type}${f.nullable ? "" : "!"}`).join(",");
  if (schema !== schemaText) check(`${name}: schema`, [`expected ${schemaText}`, `got      ${schema}`]);
  const exp = fs.readFileSync(expPath, "utf8");
  check(`${name}: rows read by LanceDB`, compareJsonl(exp, jsonl(got), floatBitsOf(got.schema)));
  const nexp = exp.split("\n").filter((l) => l !== "").length;
  const n = await tbl.countRows();
  if (n !== nexp) check(`${name}: countRows()`, [`expected ${nexp}, got ${n}`]);
}

async function version(dir, name, v, expPath) {
  const db = await lancedb.connect(dir);
  const tbl = await db.openTable(name);
  await tbl.checkout(Number(v));
  const got = toEsm(await tbl.query().toArrow());
  check(`${name} version ${v}: rows`, compareJsonl(fs.readFileSync(expPath, "utf8"), jsonl(got),
    floatBitsOf(got.schema)));
}

async function append(dir, name, outPath) {
  const db = await lancedb.connect(dir);
  const tbl = await db.openTable(name);
  // a copy of the first row, as Arrow data of the table's own schema
  const first = await tbl.query().limit(1).toArrow();
  await tbl.add(first);
  fs.writeFileSync(outPath, jsonl(toEsm(await tbl.query().toArrow())));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "read") await read(...args);
  else if (cmd === "version") await version(...args);
  else if (cmd === "append") await append(...args);
  else {
    console.error("usage: node lancedb_columns.mjs read|version|append ...");
    process.exit(2);
  }
} catch (err) {
  console.error(`FAIL ${cmd} ${args.join(" ")}: ${err.stack || err.message}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
