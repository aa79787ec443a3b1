// Reads geneva's job table with LanceDB: <db>/__system is a LanceDB database whose
// table geneva_jobs holds one row per job.
//   node lancedb_jobs.mjs SYSTEM_DIR ID:STATE...
import * as lancedb from "@lancedb/lancedb";
const [dir, ...want] = process.argv.slice(2);
const db = await lancedb.connect(dir);
const names = await db.tableNames();
if (!names.includes("geneva_jobs")) {
  console.error(`tables of ${dir}: ${JSON.stringify(names)}`);
  process.exit(1);
}
const tbl = await db.openTable("geneva_jobs");
const rows = await tbl.query().toArray();
const errors = [];
if (rows.length !== want.length) errors.push(`${rows.length} rows, expected ${want.length}`);
for (const w of want) {
  const [id, state] = w.split(":");
  const r = rows.filter((x) => x.id === id);
  if (r.length !== 1) { errors.push(`${r.length} rows for job ${id}`); continue; }
  const j = r[0];
  if (j.state !== state) errors.push(`job ${id}: state ${j.state}, expected ${state}`);
  if (j.kind !== "backfill" || j.table !== "t" || j.column !== "d")
    errors.push(`job ${id}: ${j.kind} ${j.table}.${j.column}`);
  if (state === "DONE" && Number(j.rows_computed) !== Number(j.rows_planned))
    errors.push(`job ${id}: ${j.rows_computed} of ${j.rows_planned} rows`);
  if (j.created === null || j.heartbeat === null)
    errors.push(`job ${id}: created ${j.created}, heartbeat ${j.heartbeat}`);
  try { JSON.parse(j.options); } catch (e) { errors.push(`job ${id}: options ${j.options}`); }
}
const n = await tbl.countRows("state = 'DONE'");
if (n !== want.filter((w) => w.endsWith(":DONE")).length) errors.push(`countRows DONE = ${n}`);
if (errors.length) {
  for (const e of errors.slice(0, 10)) console.error(e);
  process.exit(1);
}
console.log(`ok geneva_jobs: ${rows.length} jobs`);
