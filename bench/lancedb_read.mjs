// LanceDB's side of bench_read: it writes the table (LanceDB's defaults) that both
// sides then read, and times its own scans and takes of it.
//
//   LANCEDB_NPM_DIR=<dir with node_modules> node lancedb_read.mjs write <ipc file> <db dir>
//   LANCEDB_NPM_DIR=<dir with node_modules> node lancedb_read.mjs read <db dir> <reps> <takes file>
//
// write: createTable("bench") from the Arrow IPC file (not timed). read: prints one line
// per figure, "<name> <best s> <median s>": scan_id_score (streaming id and score,
// summing score), scan_vector (touching every value), scan_text_label (summing string
// lengths), take (takeOffsets of each line of the takes file: space-separated row
// offsets, selecting id, text, score; the results' ids are checked).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [mode, ...args] = process.argv.slice(2);
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

if (mode === "write") {
  const [ipcPath, dbDir] = args;
  const table = arrow.tableFromIPC(fs.readFileSync(ipcPath));
  fs.rmSync(dbDir, { recursive: true, force: true });
  const db = await lancedb.connect(dbDir);
  await db.createTable("bench", table);
  const version = JSON.parse(
    fs.readFileSync(path.join(npmDir, "node_modules/@lancedb/lancedb/package.json"))).version;
  console.log(`lancedb ${version}, node ${process.version}: ${table.numRows} rows written`);
} else if (mode === "read") {
  const [dbDir, repsArg, takesPath] = args;
  const reps = Number(repsArg || 3);
  const db = await lancedb.connect(dbDir);
  const tbl = await db.openTable("bench");
  const n = await tbl.countRows();
  const takes = fs.readFileSync(takesPath, "utf8").trim().split("\n")
    .map((l) => l.split(" ").map(Number));
  const figs = { scan_id_score: [], scan_vector: [], scan_text_label: [], take: [] };
  for (let r = 0; r < reps; r++) {
    let t0 = now(), rows = 0, sum = 0;
    for await (const b of tbl.query().select(["id", "score"])) {
      rows += b.numRows;
      for (const x of b.getChild("score").toArray()) sum += x;
    }
    figs.scan_id_score.push(now() - t0);
    if (rows !== n || Number.isNaN(sum)) throw new Error(`scan returned ${rows} rows`);

    t0 = now();
    rows = 0;
    for await (const b of tbl.query().select(["vector"])) {
      rows += b.numRows;
      for (const d of b.getChild("vector").data) {
        const c = d.children[0], v = c.values;
        const lo = c.offset + d.offset * d.type.listSize, hi = lo + d.length * d.type.listSize;
        for (let i = lo; i < hi; i++) sum += v[i];
      }
    }
    figs.scan_vector.push(now() - t0);
    if (rows !== n) throw new Error(`vector scan returned ${rows} rows`);

    t0 = now();
    rows = 0;
    let len = 0;
    for await (const b of tbl.query().select(["text", "label"])) {
      rows += b.numRows;
      // Byte lengths from the offsets, so no JS strings are made (as our side does).
      for (const name of ["text", "label"])
        for (const d of b.getChild(name).data)
          len += d.valueOffsets[d.offset + d.length] - d.valueOffsets[d.offset];
    }
    figs.scan_text_label.push(now() - t0);
    if (rows !== n || len <= 0) throw new Error(`text scan returned ${rows} rows`);

    t0 = now();
    for (const offs of takes) {
      const res = await tbl.takeOffsets(offs).select(["id", "text", "score"]).toArrow();
      const ids = res.getChild("id").toArray();
      if (res.numRows !== offs.length) throw new Error("take returned a wrong row count");
      // The peer data's id is its row number, so each row must carry its offset.
      const want = new Set(offs.map(BigInt));
      for (const id of ids) if (!want.has(BigInt(id))) throw new Error(`take returned id ${id}`);
    }
    figs.take.push(now() - t0);
  }
  for (const [name, secs] of Object.entries(figs)) line(name, secs);
} else {
  console.error("usage: node lancedb_read.mjs write <ipc> <db> | read <db> <reps> <takes>");
  process.exit(2);
}
