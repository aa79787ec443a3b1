// The LanceDB side of test_lancedb_merge_insert.sh. Run from the npm directory of one
// LanceDB version (it imports "@lancedb/lancedb" and "apache-arrow" from there).
//
//   node lancedb_merge_insert.mjs prep OUTDIR
//       OUTDIR/base.arrow: the first rows (id int64, name utf8, score float64, cat utf8),
//       and OUTDIR/s<N>.arrow: the source of step N (see STEPS).
//   node lancedb_merge_insert.mjs create DB TABLE BASE.arrow [stable]
//       LanceDB creates TABLE from BASE (with stable row ids).
//   node lancedb_merge_insert.mjs step DB TABLE N SRC.arrow
//       LanceDB runs step N's merge_insert with SRC; prints "updated inserted deleted".
//   node lancedb_merge_insert.mjs dump DB TABLE OUT.jsonl [rowids]
//       the table's rows as LanceDB reads them, sorted by (id, cat), as JSONL; checks
//       countRows() agrees. With `rowids`, each row's _rowid too (and its created-at
//       and last-updated-at versions where LanceDB has them).
//
// Exit status 1 with the reason on stderr.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as arrow from "apache-arrow";
import * as lancedb from "@lancedb/lancedb";
import { tableToJsonl } from "./arrow_js_common.mjs";

// LanceDB loads the CommonJS apache-arrow, this module the ESM one: tables cross as IPC.
const cjsArrow = createRequire(import.meta.url)("apache-arrow");
const toEsm = (t) => arrow.tableFromIPC(cjsArrow.tableToIPC(t, "stream"));
const toCjs = (t) => cjsArrow.tableFromIPC(arrow.tableToIPC(t, "stream"));

const catOf = (i) => (i % 3 === 0 ? "a" : i % 3 === 1 ? "b" : null);

// The merges, in order. `cols` limits the source's columns; rows(i) gives a source row.
// The shell script runs the same steps with `geneva merge-insert` (keep them in step).
export const STEPS = [
  { // 1. upsert: ids 30..49 (30..39 exist)
    ids: range(30, 50), row: (i) => ({ id: i, name: `u${i}`, score: i, cat: "b" }),
    build: (t) => t.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll(),
  },
  { // 2. insert only: ids 45..54 (45..49 exist and stay)
    ids: range(45, 55), row: (i) => ({ id: i, name: `i${i}`, score: -1, cat: "a" }),
    build: (t) => t.mergeInsert("id").whenNotMatchedInsertAll(),
  },
  { // 3. update only, from a source of two of the columns: ids 0..9 and 100 (absent)
    ids: [...range(0, 10), 100], row: (i) => ({ id: i, score: -i }), cols: ["id", "score"],
    build: (t) => t.mergeInsert("id").whenMatchedUpdateAll(),
  },
  { // 4. upsert ids 0..19 and delete the other rows of cat 'a'
    ids: range(0, 20), row: (i) => ({ id: i, name: `d${i}`, score: i * 2, cat: catOf(i) }),
    build: (t) => t.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll()
      .whenNotMatchedBySourceDelete({ where: "cat = 'a'" }),
  },
  { // 5. a composite key (id, cat) and a condition over target and source; the NULL
    //    cat of 14 matches nothing, 11 with cat 'zz' neither
    ids: [10, 11, 12, 14],
    row: (i) => ({ id: i, name: `c${i}`, score: i === 12 ? -100 : 100, cat: i === 11 ? "zz" : catOf(i) }),
    build: (t) => t.mergeInsert(["id", "cat"])
      .whenMatchedUpdateAll({ where: "source.score > target.score" }).whenNotMatchedInsertAll(),
  },
];

function range(a, b) {
  return Array.from({ length: b - a }, (_, k) => a + k);
}

const FIELDS = {
  id: new arrow.Field("id", new arrow.Int64(), false),
  name: new arrow.Field("name", new arrow.Utf8(), true),
  score: new arrow.Field("score", new arrow.Float64(), true),
  cat: new arrow.Field("cat", new arrow.Utf8(), true),
};

function tableOf(rows, cols = ["id", "name", "score", "cat"]) {
  const schema = new arrow.Schema(cols.map((c) => FIELDS[c]));
  const data = {};
  for (const c of cols) {
    const vals = rows.map((r) => (c === "id" ? BigInt(r.id) : r[c] ?? null));
    data[c] = arrow.vectorFromArray(vals, FIELDS[c].type);
  }
  const batch = new arrow.RecordBatch(schema, arrow.makeData({
    type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0,
    children: cols.map((c) => data[c].data[0]),
  }));
  return new arrow.Table([batch]);
}

function prep(outdir) {
  const base = range(0, 40).map((i) => ({ id: i, name: `n${i}`, score: i / 2, cat: catOf(i) }));
  fs.writeFileSync(`${outdir}/base.arrow`, arrow.tableToIPC(tableOf(base), "file"));
  STEPS.forEach((s, k) => {
    const t = tableOf(s.ids.map(s.row), s.cols);
    fs.writeFileSync(`${outdir}/s${k + 1}.arrow`, arrow.tableToIPC(t, "file"));
  });
}

const VERSION_COLS = ["_row_created_at_version", "_row_last_updated_at_version"];

const readArrow = (path) => arrow.tableFromIPC(fs.readFileSync(path));

async function create(dir, name, basePath, stable) {
  const db = await lancedb.connect(dir);
  const opts = stable === "stable"
    ? { storageOptions: { new_table_enable_stable_row_ids: "true" } } : {};
  await db.createTable(name, toCjs(readArrow(basePath)), opts);
}

async function step(dir, name, n, srcPath) {
  const tbl = await (await lancedb.connect(dir)).openTable(name);
  const res = await STEPS[Number(n) - 1].build(tbl).execute(toCjs(readArrow(srcPath)));
  // (0.37.1 and later return a MergeResult)
  console.log(`${res.numUpdatedRows} ${res.numInsertedRows} ${res.numDeletedRows}`);
}

async function dump(dir, name, outPath, rowids) {
  const tbl = await (await lancedb.connect(dir)).openTable(name);
  let q = tbl.query();
  if (rowids === "rowids") {
    const cols = ["id", "name", "score", "cat"];
    q = q.withRowId();
    try { // (newer LanceDB versions have the row version columns)
      await tbl.query().select([...cols, ...VERSION_COLS]).limit(1).toArray();
      q = q.select([...cols, ...VERSION_COLS]);
    } catch (e) {
      q = q.select(cols);
    }
  }
  const got = toEsm(await q.toArrow());
  const lines = tableToJsonl(got);
  const key = (l) => {
    const o = JSON.parse(l);
    return [BigInt(o.id), o.cat === null ? "" : `~${o.cat}`];
  };
  lines.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
  });
  fs.writeFileSync(outPath, lines.map((l) => l + "\n").join(""));
  const n = await tbl.countRows();
  if (n !== lines.length) {
    console.error(`countRows() is ${n}, but the scan has ${lines.length} rows`);
    process.exit(1);
  }
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "prep") prep(...args);
  else if (cmd === "create") await create(...args);
  else if (cmd === "step") await step(...args);
  else if (cmd === "dump") await dump(...args);
  else throw new Error(`unknown command '${cmd}'`);
} catch (e) {
  console.error(`${cmd}: ${e.stack || e}`);
  process.exit(1);
}
