// LanceDB's side of bench_maint: compaction of a table of many small fragments, on the
// same rows as ours.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> \
//     node lancedb_maint.mjs <ipc file> <db dir> <frags> <reps>
//
// optimize: the rows of the IPC file go into a table in <frags> commits of equal size
// (createTable with the first slice, then add() per slice; not timed); then, <reps>
// times, table.optimize() (compaction into one fragment; its cleanup has nothing to
// remove, every version being younger than 7 days), the table restored to the version
// before between repetitions (not timed). Prints "optimize <best s> <median s>" and
// checks the rows and the single fragment.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [ipcPath, dbDir, fragsArg, repsArg] = process.argv.slice(2);
if (!ipcPath || !dbDir || !fragsArg) {
  console.error("usage: node lancedb_maint.mjs <ipc file> <db dir> <frags> [reps]");
  process.exit(2);
}
const frags = Number(fragsArg);
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
const n = table.numRows, per = n / frags;
fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const tbl = await db.createTable("frags", table.slice(0, per));
for (let i = 1; i < frags; i++) await tbl.add(table.slice(i * per, (i + 1) * per));
const before = (await tbl.stats()).fragmentStats.numFragments;
if (before !== frags) throw new Error(`${before} fragments before optimize, expected ${frags}`);
const base = await tbl.version();

const secs = [];
for (let r = 0; r < reps; r++) {
  const t0 = now();
  const st = await tbl.optimize();
  secs.push(now() - t0);
  const after = (await tbl.stats()).fragmentStats.numFragments;
  const rows = await tbl.countRows();
  if (after !== 1 || rows !== n || st.compaction.fragmentsRemoved !== frags)
    throw new Error(`optimize: ${st.compaction.fragmentsRemoved} fragments removed, ` +
      `${after} left, ${rows} rows`);
  await tbl.checkout(base);
  await tbl.restore();
}
console.log(`optimize ${Math.min(...secs)} ${median(secs)}`);
