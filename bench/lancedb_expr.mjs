// LanceDB's side of bench_expr: the SQL-expression workloads of the peer benchmark on a
// table LanceDB creates (not timed) from the rows bench_expr wrote.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> node lancedb_expr.mjs <ipc file> <db dir> <reps>
//
// Prints one line per figure, "<name> <best s> <median s>": count_filtered
// (countRows("score > 0.9 AND label = 'label_07'"), the count checked against
// COUNT_EXPECTED when set), add_column (addColumns score2 = score * 2, dropped again
// after each repetition), update_1pct (score = score + 1 where id % 100 = r) and
// delete_1pct (id % 100 = 50 + r), r = 0 .. reps-1, as the peer benchmark does.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [ipcPath, dbDir, repsArg] = process.argv.slice(2);
if (!ipcPath || !dbDir) {
  console.error("usage: node lancedb_expr.mjs <ipc file> <db dir> [reps]");
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
const line = (name, secs) => console.log(`${name} ${Math.min(...secs)} ${median(secs)}`);
async function time(f) {
  const t0 = now();
  const r = await f();
  return [now() - t0, r];
}

const table = arrow.tableFromIPC(fs.readFileSync(ipcPath));
const n = table.numRows;
fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const tbl = await db.createTable("bench", table);

const count = [], add = [], upd = [], del = [];
let matches = -1;
for (let r = 0; r < reps; r++) {
  const [s, c] = await time(() => tbl.countRows("score > 0.9 AND label = 'label_07'"));
  count.push(s);
  matches = c;
}
if (process.env.COUNT_EXPECTED && matches !== Number(process.env.COUNT_EXPECTED))
  throw new Error(`LanceDB counted ${matches}, expected ${process.env.COUNT_EXPECTED}`);
for (let r = 0; r < reps; r++) {
  const [s] = await time(() => tbl.addColumns([{ name: "score2", valueSql: "score * 2" }]));
  add.push(s);
  await tbl.dropColumns(["score2"]);
}
for (let r = 0; r < reps; r++) {
  const [s, u] = await time(() =>
    tbl.update({ where: `id % 100 = ${r}`, valuesSql: { score: "score + 1" } }));
  upd.push(s);
  if (u.rowsUpdated !== Math.ceil((n - r) / 100)) throw new Error(`updated ${u.rowsUpdated}`);
}
for (let r = 0; r < reps; r++) {
  const [s] = await time(() => tbl.delete(`id % 100 = ${50 + r}`));
  del.push(s);
}
line("count_filtered", count);
line("add_column", add);
line("update_1pct", upd);
line("delete_1pct", del);
