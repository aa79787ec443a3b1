// LanceDB's side of bench_backfill: a column computed by an SQL expression on a table
// LanceDB creates (not timed) from the rows bench_backfill wrote.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> node lancedb_backfill.mjs <ipc file> <db dir> <reps>
//
// Prints "add_column_sql <best s> <median s>": addColumns tl = length(text), dropped
// again after each repetition (not timed); the first repetition's values are checked
// (no NULL where text is not NULL).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [ipcPath, dbDir, repsArg] = process.argv.slice(2);
if (!ipcPath || !dbDir) {
  console.error("usage: node lancedb_backfill.mjs <ipc file> <db dir> [reps]");
  process.exit(2);
}
const reps = Number(repsArg || 3);
const npmDir = path.resolve(process.env.LANCEDB_NPM_DIR || ".");
const require = createRequire(path.join(npmDir, "package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const table = arrow.tableFromIPC(fs.readFileSync(ipcPath));
fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const tbl = await db.createTable("bench", table);

const add = [];
for (let r = 0; r < reps; r++) {
  const t0 = now();
  await tbl.addColumns([{ name: "tl", valueSql: "length(text)" }]);
  add.push(now() - t0);
  if (r === 0) {
    const missing = await tbl.countRows("tl IS NULL AND text IS NOT NULL");
    if (missing !== 0) throw new Error(`${missing} rows without tl`);
  }
  await tbl.dropColumns(["tl"]);
}
console.log(`add_column_sql ${Math.min(...add)} ${median(add)}`);
