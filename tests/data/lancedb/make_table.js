// Writes a small LanceDB table with int32/int64/float32 columns (random, sorted, with nulls)
// using LanceDB's default encodings, then dumps LanceDB's own reading of it as JSONL.
// A second table `r` holds long runs of repeated values, which LanceDB writes as RLE mini-blocks.
// Usage: node make_table.js DB_DIR EXPECTED_JSONL EXPECTED_RLE_JSONL
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const fs = require("fs");

const N = 3000;
let seed = 12345;
function rnd() { // deterministic LCG in [0, 1)
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
function col(fn) { const a = []; for (let i = 0; i < N; i++) a.push(fn(i)); return a; }
const nullEvery = (k, fn) => (i) => (rnd() < 1 / k ? null : fn(i));

const cols = {
  i32_small: [new arrow.Int32(), col(() => Math.floor(rnd() * 1000))],
  i32_rand: [new arrow.Int32(), col(() => Math.floor(rnd() * 4294967296) - 2147483648)],
  i32_neg: [new arrow.Int32(), col(() => -Math.floor(rnd() * 50))],
  i32_sorted: [new arrow.Int32(), col((i) => 100000 + 3 * i)],
  i32_null: [new arrow.Int32(), col(nullEvery(7, () => Math.floor(rnd() * 70000)))],
  i64_small: [new arrow.Int64(), col(() => BigInt(Math.floor(rnd() * 100000)))],
  i64_rand: [new arrow.Int64(), col(() => BigInt(Math.floor(rnd() * 2 ** 52)) * 4099n - (2n ** 60n))],
  i64_sorted: [new arrow.Int64(), col((i) => 1000000000000n + BigInt(i) * 17n)],
  i64_null: [new arrow.Int64(), col(nullEvery(5, () => BigInt(Math.floor(rnd() * 1e9))))],
  f32_rand: [new arrow.Float32(), col(() => Math.fround((rnd() - 0.5) * 1e6))],
  f32_sorted: [new arrow.Float32(), col((i) => Math.fround(i * 0.25))],
  f32_null: [new arrow.Float32(), col(nullEvery(3, () => Math.fround(Math.floor(rnd() * 100))))],
};

// Runs longer than 255 (split by the writer), runs crossing chunk ends, nulls inside runs.
const rleCols = {
  r_i64: [new arrow.Int64(), col((i) => BigInt(Math.floor(i / 500)) - 3n)],
  r_i32: [new arrow.Int32(), col((i) => Math.floor(i / 300) * 1000 - 7)],
  r_i32_null: [new arrow.Int32(), col(nullEvery(40, (i) => Math.floor(i / 450)))],
  r_i64_big: [new arrow.Int64(), col((i) => (BigInt(Math.floor(i / 1000)) << 50n) + 5n)],
  r_f32: [new arrow.Float32(), col((i) => Math.fround(Math.floor(i / 600) * 1.5))],
  // Short runs of wide values: too many bytes for one mini-block chunk.
  r_i64_short: [new arrow.Int64(), col((i) => BigInt(Math.floor(i / 3)) * 1000000007n - 2n ** 62n)],
  r_i32_short: [new arrow.Int32(), col((i) => (Math.floor(i / 4) * 2654435) | 0)],
};

async function main() {
  const [dbDir, outPath, rleOutPath] = process.argv.slice(2);
  const db = await lancedb.connect(dbDir);
  await writeTable(db, "t", cols, outPath);
  await writeTable(db, "r", rleCols, rleOutPath);
}

async function writeTable(db, tname, cols, outPath) {
  const fields = [], vecs = {};
  for (const [name, [type, vals]] of Object.entries(cols)) {
    fields.push(new arrow.Field(name, type, true));
    vecs[name] = arrow.vectorFromArray(vals, type);
  }
  const table = new arrow.Table(new arrow.Schema(fields), vecs);
  const t = await db.createTable(tname, table, { mode: "overwrite" });
  const got = await t.query().limit(N + 10).toArrow();
  const lines = [];
  for (let i = 0; i < got.numRows; i++) {
    const row = got.get(i).toJSON();
    const o = {};
    for (const f of fields) {
      const v = row[f.name];
      o[f.name] = v === null || v === undefined ? null : typeof v === "bigint" ? v.toString() : v;
    }
    lines.push(JSON.stringify(o));
  }
  fs.writeFileSync(outPath, lines.join("\n") + "\n");
  console.log(tname, "rows", got.numRows);
}
main().catch((e) => { console.error(e); process.exit(1); });
