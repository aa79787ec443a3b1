// LanceDB's side of bench_commit: concurrent appenders and the cleanup of a long
// version history, on the same data as ours.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> VERSIONS=<n> \
//     node lancedb_commit.mjs <ipc file> <db dir> <commits> <history db dir>
//
// appends_<w>w (w = 1, 2, 4): w child processes open one table (created from the 100
// rows of the IPC file), wait for the start signal, then add those rows commits / w
// times each; the figure is the start signal to the last exit. cleanup: the table
// "history" of <history db dir> (made by bench_commit, VERSIONS versions) is optimized
// with cleanupOlderThan now and deleteUnverified, which removes every version but the
// latest (compaction has nothing to do on its one fragment). Prints
// "<name> <s> <s>" per figure, and checks row counts and the versions left.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const npmDir = path.resolve(process.env.LANCEDB_NPM_DIR || ".");
const require = createRequire(path.join(npmDir, "package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const now = () => Number(process.hrtime.bigint()) / 1e9;

if (process.argv[2] === "--appender") {
  // a child: open, say ready, wait for "go", append n times, exit
  const [, , , ipcPath, dbDir, name, n] = process.argv;
  const data = arrow.tableFromIPC(fs.readFileSync(ipcPath));
  const db = await lancedb.connect(dbDir);
  const tbl = await db.openTable(name);
  process.send("ready");
  await new Promise((resolve) => process.once("message", resolve));
  for (let i = 0; i < Number(n); i++) await tbl.add(data);
  process.exit(0);
}

const [ipcPath, dbDir, commitsArg, histDir] = process.argv.slice(2);
if (!ipcPath || !dbDir || !histDir) {
  console.error("usage: node lancedb_commit.mjs <ipc file> <db dir> <commits> <history db dir>");
  process.exit(2);
}
const commits = Number(commitsArg);
const data = arrow.tableFromIPC(fs.readFileSync(ipcPath));
fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const self = fileURLToPath(import.meta.url);

async function appends(workers) {
  const name = `appends_${workers}`;
  const tbl = await db.createTable(name, data);
  const kids = [];
  for (let w = 0; w < workers; w++)
    kids.push(fork(self, ["--appender", ipcPath, dbDir, name, String(commits / workers)]));
  await Promise.all(kids.map((k) => new Promise((resolve) => k.once("message", resolve))));
  const t0 = now();
  const exits = kids.map((k) => new Promise((resolve) => k.once("exit", resolve)));
  for (const k of kids) k.send("go");
  const codes = await Promise.all(exits);
  const secs = now() - t0;
  if (codes.some((c) => c !== 0)) throw new Error(`an appender of ${name} failed`);
  await tbl.checkoutLatest();
  const rows = await tbl.countRows();
  if (rows !== (1 + commits) * data.numRows)
    throw new Error(`${name} holds ${rows} rows, expected ${(1 + commits) * data.numRows}`);
  console.log(`appends_${workers}w ${secs} ${secs}`);
}

for (const w of [1, 2, 4]) await appends(w);

const hist = await (await lancedb.connect(histDir)).openTable("history");
const before = (await hist.listVersions()).length;
const t0 = now();
await hist.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true });
const secs = now() - t0;
const after = (await hist.listVersions()).length;
// optimize commits nothing here (one fragment, no deletions), so one version is left
if (before !== Number(process.env.VERSIONS || before) || after > 2)
  throw new Error(`history: ${before} versions before cleanup, ${after} after`);
console.log(`cleanup ${secs} ${secs}`);
