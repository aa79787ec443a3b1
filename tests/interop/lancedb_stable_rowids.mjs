// LanceDB's side of test_lancedb_stable_rowids.sh (run from a directory where
// @lancedb/lancedb is installed):
//
//   node lancedb_stable_rowids.mjs create DB TABLE N
//       create TABLE with stable row ids (new_table_enable_stable_row_ids), rows
//       {id: int64, name: "n<id>", v: float64} for id 0..N-1, in two appends (two
//       fragments)
//   node lancedb_stable_rowids.mjs dump DB TABLE OUT
//       write every row as "id,rowid,created,updated,name" sorted by id, where rowid is
//       query().withRowId()'s _rowid and created/updated the _row_created_at_version and
//       _row_last_updated_at_version LanceDB reports (empty when it has no such columns)
//   node lancedb_stable_rowids.mjs modify DB TABLE
//       LanceDB updates (name = 'lancedb' where id % 10 = 2), deletes (id % 10 = 3) and
//       appends rows 1000..1004; prints the row count
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as lancedb from "@lancedb/lancedb";

// LanceDB loads the CommonJS apache-arrow: build the batches with that one.
const arrow = createRequire(import.meta.url)("apache-arrow");

const [cmd, dir, name, arg] = process.argv.slice(2);
const db = await lancedb.connect(dir);
function rows(from, to) {
  const n = to - from;
  const ids = Array.from({ length: n }, (_, k) => BigInt(from + k));
  return new arrow.Table({
    id: arrow.vectorFromArray(ids, new arrow.Int64()),
    name: arrow.vectorFromArray(ids.map((i) => `n${i}`), new arrow.Utf8()),
    v: arrow.vectorFromArray(ids.map((i) => Number(i) * 1.5), new arrow.Float64()),
  });
}

async function dump(t) {
  let got;
  let versions = true;
  try {
    got = await t.query().withRowId()
      .select(["id", "name", "_row_created_at_version", "_row_last_updated_at_version"]).toArray();
  } catch (e) {
    versions = false;
    got = await t.query().withRowId().select(["id", "name"]).toArray();
  }
  const lines = got.map((r) => {
    const o = r.toJSON ? r.toJSON() : r;
    const v = (x) => (versions ? String(o[x]) : "");
    return [Number(o.id), String(o._rowid), v("_row_created_at_version"),
      v("_row_last_updated_at_version"), o.name];
  });
  lines.sort((a, b) => a[0] - b[0]);
  return lines.map((l) => l.join(",")).join("\n") + "\n";
}

if (cmd === "create") {
  const n = Number(arg);
  const half = Math.floor(n * 0.6);
  const t = await db.createTable(name, rows(0, half), {
    storageOptions: { new_table_enable_stable_row_ids: "true" },
  });
  await t.add(rows(half, n));
} else if (cmd === "dump") {
  fs.writeFileSync(arg, await dump(await db.openTable(name)));
} else if (cmd === "modify") {
  const t = await db.openTable(name);
  await t.update({ where: "id % 10 = 2", valuesSql: { name: "'lancedb'" } });
  await t.delete("id % 10 = 3");
  await t.add(rows(1000, 1005));
  console.log(await t.countRows());
} else {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
