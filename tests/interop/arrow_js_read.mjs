// geneva -> Arrow JS: read IPC files our writer produced (gen_all_types) with Arrow JS
// and compare every value with the rows gen_all_types expects, and the schema (types,
// nullability, field metadata) with its .schema file.
//
//   node arrow_js_read.mjs FILE EXPECTED.jsonl EXPECTED.schema [FILE EXPECTED ...]
//
// FILE is read twice: with tableFromIPC and batch by batch with RecordBatchReader.
// Exit status 1 with the first differences on stderr when anything differs.
import * as fs from "node:fs";
import * as arrow from "apache-arrow";
import { tableToJsonl, typeString, compareJsonl, floatBitsOf } from "./arrow_js_common.mjs";

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 3 !== 0) {
  console.error("usage: node arrow_js_read.mjs FILE EXPECTED.jsonl EXPECTED.schema ...");
  process.exit(2);
}

let failed = 0;
function report(file, what, diffs) {
  if (diffs.length === 0) return;
  failed++;
  console.error(`FAIL ${file} (${what}):`);
  for (const d of diffs.slice(0, 20)) console.error(`  ${d}`);
}

for (let a = 0; a < args.length; a += 3) {
  const [file, jsonlPath, schemaPath] = args.slice(a, a + 3);
  const bytes = fs.readFileSync(file);
  const expected = fs.readFileSync(jsonlPath, "utf8");
  let table;
  try {
    table = arrow.tableFromIPC(bytes);
  } catch (err) {
    report(file, "tableFromIPC", [`Arrow JS cannot read it: ${err.message}`]);
    continue;
  }
  const floats = floatBitsOf(table.schema);
  report(file, "tableFromIPC rows", compareJsonl(expected, tableToJsonl(table).join("\n"), floats));

  // Batch by batch through the reader, to check each batch stands on its own.
  const lines = [];
  let nbatches = 0;
  for (const batch of arrow.RecordBatchReader.from(bytes)) {
    nbatches++;
    lines.push(...tableToJsonl(new arrow.Table(batch.schema, [batch])));
  }
  report(file, `RecordBatchReader rows (${nbatches} batches)`, compareJsonl(expected, lines.join("\n"), floats));

  // Schema: "name: type[ not null]" per field, then "meta KEY<TAB>VALUE" per field metadata pair.
  const want = fs.readFileSync(schemaPath, "utf8").split("\n").filter((l) => l !== "");
  const got = table.schema.fields.map((f) => `${f.name}: ${typeString(f.type)}${f.nullable ? "" : " not null"}`);
  for (const f of table.schema.fields) for (const [k, v] of f.metadata) got.push(`meta ${k}\t${v}`);
  const sd = [];
  for (let i = 0; i < Math.max(want.length, got.length); i++)
    if (want[i] !== got[i]) sd.push(`schema line ${i + 1}: expected ${JSON.stringify(want[i])}, got ${JSON.stringify(got[i])}`);
  report(file, "schema", sd);
  if (!failed) console.log(`ok ${file}: ${table.numRows} rows, ${nbatches} batches`);
}
process.exit(failed ? 1 : 0);
