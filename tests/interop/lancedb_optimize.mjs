// LanceDB's side of test_lancedb_optimize.sh (run from a directory where
// @lancedb/lancedb is installed). Rows are {id: int64, name: "n<id>"}.
//
//   node lancedb_optimize.mjs create DB TABLE STABLE
//       create TABLE (with stable row ids when STABLE is 1) from rows 0..99, append rows
//       100..999 in 9 appends (10 fragments of 100 rows), then delete "id % 10 = 3" and
//       "id >= 200 AND id < 260" (60% of the third fragment)
//   node lancedb_optimize.mjs dump DB TABLE OUT
//       write every row in scan order as "id,name,rowid,created,updated", rowid being
//       withRowId()'s _rowid and created/updated the _row_created_at_version and
//       _row_last_updated_at_version LanceDB reports (empty when it has none)
//   node lancedb_optimize.mjs optimize DB TABLE
//       LanceDB's table.optimize(); prints "<fragmentsRemoved> <fragmentsAdded>"
//   node lancedb_optimize.mjs fragments DB TABLE
//       prints stats().fragmentStats.numFragments and countRows()
//   node lancedb_optimize.mjs append DB TABLE FROM TO
//       append rows FROM..TO-1; prints countRows()
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as lancedb from "@lancedb/lancedb";

// LanceDB loads the CommonJS apache-arrow: build the batches with that one.
const arrow = createRequire(import.meta.url)("apache-arrow");

const [cmd, dir, name, a1, a2] = process.argv.slice(2);
const db = await lancedb.connect(dir);
function rows(from, to) {
  const ids = Array.from({ length: to - from }, (_, k) => BigInt(from + k));
  return new arrow.Table({
    id: arrow.vectorFromArray(ids, new arrow.Int64()),
    name: arrow.vectorFromArray(ids.map((i) => `n${i}`), new arrow.Utf8()),
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
  return got.map((r) => {
    const o = r.toJSON ? r.toJSON() : r;
    const v = (x) => (versions && o[x] !== undefined && o[x] !== null ? String(o[x]) : "");
    return [Number(o.id), o.name, String(o._rowid), v("_row_created_at_version"),
      v("_row_last_updated_at_version")].join(",") + "\n";
  }).join("");
}

if (cmd === "create") {
  const opts = a1 === "1" ? { storageOptions: { new_table_enable_stable_row_ids: "true" } } : {};
  const t = await db.createTable(name, rows(0, 100), opts);
  for (let k = 1; k < 10; k++) await t.add(rows(100 * k, 100 * k + 100));
  await t.delete("id % 10 = 3");
  await t.delete("id >= 200 AND id < 260");
} else if (cmd === "dump") {
  fs.writeFileSync(a1, await dump(await db.openTable(name)));
} else if (cmd === "optimize") {
  const s = await (await db.openTable(name)).optimize();
  console.log(`${s.compaction.fragmentsRemoved} ${s.compaction.fragmentsAdded}`);
} else if (cmd === "fragments") {
  const t = await db.openTable(name);
  const s = await t.stats();
  console.log(`${s.fragmentStats.numFragments} ${await t.countRows()}`);
} else if (cmd === "append") {
  const t = await db.openTable(name);
  await t.add(rows(Number(a1), Number(a2)));
  console.log(await t.countRows());
} else {
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
