// LanceDB's side of bench_table: ingest and scans on the rows bench_table wrote.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> node lancedb_table.mjs <ipc file> <db dir> <reps>
//
// The Arrow IPC file is loaded into memory with apache-arrow's tableFromIPC first (not
// timed), so ingest times createTable from an in-memory Arrow table, as the peer
// benchmark does. Prints one line per figure, "<name> <best s> <median s> [bytes]":
// ingest (with the size of the table directory), scan_id_score (streaming id and
// score, summing score in JS) and scan_vector (streaming vector, touching every value).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [ipcPath, dbDir, repsArg] = process.argv.slice(2);
if (!ipcPath || !dbDir) {
  console.error("usage: node lancedb_table.mjs <ipc file> <db dir> [reps]");
  process.exit(2);
}
const reps = Number(repsArg || 3);
// One resolution root for both packages, so LanceDB and this script share one arrow.
const npmDir = path.resolve(process.env.LANCEDB_NPM_DIR || ".");
const require = createRequire(path.join(npmDir, "package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const line = (name, secs, extra = "") =>
  console.log(`${name} ${Math.min(...secs)} ${median(secs)}${extra}`);

function duBytes(p) {
  let s = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, e.name);
    s += e.isDirectory() ? duBytes(q) : fs.statSync(q).size;
  }
  return s;
}

const table = arrow.tableFromIPC(fs.readFileSync(ipcPath));
const n = table.numRows;
const version = JSON.parse(
  fs.readFileSync(path.join(npmDir, "node_modules/@lancedb/lancedb/package.json"))).version;
console.log(`lancedb ${version}, node ${process.version}: ${n} rows loaded`);

fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const ingest = [];
for (let r = 0; r < reps; r++) {
  if ((await db.tableNames()).includes("bench")) await db.dropTable("bench");
  const t0 = now();
  await db.createTable("bench", table);
  ingest.push(now() - t0);
}
const tbl = await db.openTable("bench");
if ((await tbl.countRows()) !== n) throw new Error("row count mismatch");
line("ingest", ingest, ` ${duBytes(path.join(dbDir, "bench.lance"))}`);

const scan = [], vscan = [];
for (let r = 0; r < reps; r++) {
  let t0 = now(), rows = 0, sum = 0;
  for await (const b of tbl.query().select(["id", "score"])) {
    rows += b.numRows;
    for (const x of b.getChild("score").toArray()) sum += x;
  }
  scan.push(now() - t0);
  if (rows !== n) throw new Error(`scan returned ${rows} rows`);
  t0 = now();
  rows = 0;
  let vsum = 0;
  for await (const b of tbl.query().select(["vector"])) {
    rows += b.numRows;
    // The values of the batch's vector column: one Float32Array per chunk of data.
    for (const d of b.getChild("vector").data) {
      const c = d.children[0], v = c.values;
      const lo = c.offset + d.offset * d.type.listSize, hi = lo + d.length * d.type.listSize;
      for (let i = lo; i < hi; i++) vsum += v[i];
    }
  }
  vscan.push(now() - t0);
  if (rows !== n || Number.isNaN(sum + vsum)) throw new Error(`vector scan returned ${rows} rows`);
}
line("scan_id_score", scan);
line("scan_vector", vscan);
