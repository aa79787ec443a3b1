// Golden tables written by LanceDB itself, of every type and with the encodings, layouts
// and table features LanceDB uses by default, plus LanceDB's own reading of each table as
// canonical JSONL (the text `geneva scan --format jsonl` prints; arrow_js_common.mjs).
//
//   node make_golden.mjs DB_DIR EXPECTED_DIR [--big]
//
// Run it from a directory where @lancedb/lancedb and apache-arrow are installed, with
// arrow_js_common.mjs (tests/interop) copied next to it. Writes, into DB_DIR:
//   g_types_21, g_types_22   every type, nulls at every nesting level, empty lists;
//                            storage 2.1 and 2.2 (new_table_data_storage_version)
//   g_enc                    constant and all-null columns, low-cardinality strings,
//                            sorted and random integers, short strings
//   g_long                   strings of 300-400 bytes and of more than 32 KiB
//   g_vec                    128-d float32 vectors
//   g_fsl                    fixed_size_list<bool> and fixed_size_list<fixed_size_list>
//   g_dict                   a dictionary-encoded (Arrow dictionary) string column
//   g_frag                   six fragments, rows deleted from each (Arrow deletion files)
//   g_del_big                one fragment of 6,000 rows with 5,400 deleted (bitmap file)
//   g_stable                 stable row ids (new_table_enable_stable_row_ids): appends,
//                            a delete and an update that moves rows; read with _rowid
// and EXPECTED_DIR/<table>.jsonl. JSON strings longer than 1,000 characters (long strings,
// base64 of long binaries) are written as "#fnv:<bytes>:<FNV-1a 64 of their UTF-8, hex>"
// to keep the files small.
// --big writes bigger variants instead, for tests/interop/test_lancedb_golden.sh
// (g_big_types, g_big_frag, g_big_long, g_big_vec), with every string written out.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as arrow from "apache-arrow";
import * as lancedb from "@lancedb/lancedb";
import { tableToJsonl } from "./arrow_js_common.mjs";

// LanceDB loads the CommonJS apache-arrow, this module the ESM one: tables cross as IPC.
const cjsArrow = createRequire(import.meta.url)("apache-arrow");
const toEsm = (t) => arrow.tableFromIPC(cjsArrow.tableToIPC(t, "stream"));
const toCjs = (t) => cjsArrow.tableFromIPC(arrow.tableToIPC(t, "stream"));

let seed = 987654321;
function rnd() { // deterministic LCG in [0, 1)
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const rint = (n) => Math.floor(rnd() * n);
const maybe = (pct, fn) => (rnd() * 100 < pct ? null : fn());

const WORDS = ["alpha", "beta", "", "gamma ✓", "δέλτα", "日本語", "q\"uote\\", "tab\tnl\n"];

// A field and its values (arrays of JS values, null for null).
const F = (name, type, vals) => ({ name, type, vals });
const I32 = new arrow.Int32(), I64 = new arrow.Int64(), F64 = new arrow.Float64();
const item = (t) => new arrow.Field("item", t, true);

function typesColumns(n) {
  const col = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  const structT = new arrow.Struct([
    new arrow.Field("a", I32, true),
    new arrow.Field("b", new arrow.Utf8(), true),
    new arrow.Field("c", new arrow.List(item(new arrow.Struct([
      new arrow.Field("x", new arrow.Bool(), true),
      new arrow.Field("y", F64, true),
    ]))), true),
  ]);
  return [
    F("id", I64, col((i) => BigInt(i))),
    F("b", new arrow.Bool(), col(() => maybe(20, () => rnd() < 0.5))),
    F("i8", new arrow.Int8(), col(() => maybe(10, () => rint(256) - 128))),
    F("i16", new arrow.Int16(), col(() => maybe(10, () => rint(65536) - 32768))),
    F("i32", I32, col(() => maybe(10, () => rint(4294967296) - 2147483648))),
    F("i64", I64, col(() => maybe(10, () => BigInt(rint(2 ** 30)) * BigInt(rint(2 ** 30)) - (1n << 59n)))),
    F("u8", new arrow.Uint8(), col(() => maybe(10, () => rint(256)))),
    F("u16", new arrow.Uint16(), col(() => maybe(10, () => rint(65536)))),
    F("u32", new arrow.Uint32(), col(() => maybe(10, () => rint(4294967296)))),
    F("u64", new arrow.Uint64(), col(() => maybe(10, () => BigInt(rint(2 ** 32)) * 4294967311n))),
    F("f32", new arrow.Float32(), col(() => maybe(10, () => Math.fround((rnd() - 0.5) * 1e4)))),
    F("f64", F64, col(() => maybe(10, () => (rnd() - 0.5) * 1e12))),
    F("s", new arrow.Utf8(), col((i) => maybe(15, () => WORDS[rint(WORDS.length)] + (i % 3 ? "" : String(i))))),
    F("bin", new arrow.Binary(), col(() => maybe(15, () => Uint8Array.from({ length: rint(6) }, () => rint(256))))),
    F("fsb", new arrow.FixedSizeBinary(4), col(() => maybe(15, () => Uint8Array.from({ length: 4 }, () => rint(256))))),
    F("d", new arrow.DateDay(), col(() => maybe(10, () => new Date(Date.UTC(1970, 0, 1) + (rint(40000) - 10000) * 86400000)))),
    F("ts", new arrow.TimestampMicrosecond("UTC"), col(() => maybe(10, () => 1.7e12 + rint(1e9)))),
    F("l", new arrow.List(item(I32)), col(() => maybe(15, () => Array.from({ length: rint(4) }, () => maybe(15, () => rint(1000) - 500))))),
    F("ll", new arrow.List(item(new arrow.List(item(I64)))), col(() => maybe(15, () =>
      Array.from({ length: rint(3) }, () => maybe(15, () => Array.from({ length: rint(3) }, () => maybe(15, () => BigInt(rint(100))))))))),
    F("ls", new arrow.List(item(new arrow.Utf8())), col(() => maybe(10, () => Array.from({ length: rint(4) }, () => maybe(20, () => WORDS[rint(WORDS.length)]))))),
    F("fsl", new arrow.FixedSizeList(4, item(new arrow.Float32())), col(() => maybe(10, () => Array.from({ length: 4 }, () => maybe(10, () => Math.fround(rnd() * 10)))))),
    F("st", structT, col(() => maybe(15, () => ({
      a: maybe(15, () => rint(100)),
      b: maybe(15, () => WORDS[rint(WORDS.length)]),
      c: maybe(15, () => Array.from({ length: rint(3) }, () => maybe(15, () => ({ x: maybe(15, () => rnd() < 0.5), y: maybe(15, () => rnd()) })))),
    })))),
  ];
}

function encColumns(n) {
  const col = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  const CITIES = ["Paris", "Lima", "Oslo", "Quito", "Pune"];
  return [
    F("id", I64, col((i) => BigInt(i))),
    F("const_i", I32, col(() => 42)),
    F("const_s", new arrow.Utf8(), col(() => "same value")),
    F("null_i", I32, col(() => null)),
    F("null_s", new arrow.Utf8(), col(() => null)),
    F("null_l", new arrow.List(item(I32)), col(() => null)),
    F("city", new arrow.Utf8(), col(() => maybe(5, () => CITIES[rint(CITIES.length)]))),
    F("sorted_i64", I64, col((i) => 1000000n + BigInt(i) * 7n)),
    F("sorted_i32", I32, col((i) => -50000 + 3 * i)),
    F("rand_i64", I64, col(() => BigInt(rint(2 ** 31)) * BigInt(rint(2 ** 31)) - (1n << 60n))),
    F("rand_i32", I32, col(() => maybe(3, () => rint(4294967296) - 2147483648))),
    F("small_u16", new arrow.Uint16(), col(() => rint(50))),
    F("short_s", new arrow.Utf8(), col((i) => maybe(5, () => `s${i}${WORDS[rint(4)]}`))),
  ];
}

// A deterministic text of `len` characters (compressible, so files stay small).
function longText(i, len) {
  const base = `row ${i}: ${WORDS[i % WORDS.length]} lorem ipsum dolor sit amet ${i * 7919} `;
  let s = "";
  while (s.length < len) s += base;
  return s.slice(0, len);
}

function longColumns(n, bigLen) {
  const col = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  return [
    F("id", I64, col((i) => BigInt(i))),
    F("s300", new arrow.Utf8(), col((i) => (i % 9 === 4 ? null : longText(i, 300 + (i * 13) % 100)))),
    F("s32k", new arrow.Utf8(), col((i) => (i % 7 === 3 ? null : longText(i + 1000, bigLen + (i * 101) % 3000)))),
    F("b32k", new arrow.Binary(), col((i) => (i % 5 === 2 ? null : new TextEncoder().encode(longText(i + 2000, bigLen + i))))),
  ];
}

function vecColumns(n, dim) {
  const col = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  return [
    F("id", I64, col((i) => BigInt(i))),
    F("vec", new arrow.FixedSizeList(dim, item(new arrow.Float32())),
      col((i) => Array.from({ length: dim }, (_, k) => Math.fround(Math.sin(i * 0.37 + k * 0.11) * 10)))),
    F("tag", new arrow.Utf8(), col((i) => `v${i % 17}`)),
  ];
}

function fslColumns(n) {
  const col = (fn) => Array.from({ length: n }, (_, i) => fn(i));
  return [
    F("id", I64, col((i) => BigInt(i))),
    F("fb", new arrow.FixedSizeList(3, item(new arrow.Bool())), col(() => maybe(15, () => Array.from({ length: 3 }, () => maybe(15, () => rnd() < 0.5))))),
    F("ff", new arrow.FixedSizeList(2, item(new arrow.FixedSizeList(3, item(I32)))),
      col(() => maybe(15, () => Array.from({ length: 2 }, () => maybe(15, () => Array.from({ length: 3 }, () => maybe(15, () => rint(1000)))))))),
  ];
}

// Arrow JS 18's builders make too short a child for null fixed-size-list rows at the end
// of a column, so fixed-size lists are assembled here: null rows get null items.
function fslData(type, vals) {
  const dim = type.listSize, ct = type.children[0].type;
  const flat = [];
  for (const v of vals) for (let k = 0; k < dim; k++) flat.push(v === null ? null : v[k]);
  const child = arrow.DataType.isFixedSizeList(ct) ? fslData(ct, flat) : arrow.vectorFromArray(flat, ct).data[0];
  const nullBitmap = new Uint8Array((vals.length + 7) >> 3);
  let nullCount = 0;
  vals.forEach((v, i) => (v === null ? nullCount++ : (nullBitmap[i >> 3] |= 1 << (i & 7))));
  return arrow.makeData({ type, length: vals.length, nullCount, nullBitmap, child });
}

function tableOf(cols) {
  const fields = cols.map((c) => new arrow.Field(c.name, c.type, c.name !== "id"));
  const vecs = {};
  for (const c of cols)
    vecs[c.name] = arrow.DataType.isFixedSizeList(c.type) ? arrow.makeVector(fslData(c.type, c.vals))
      : arrow.vectorFromArray(c.vals, c.type);
  return new arrow.Table(new arrow.Schema(fields), vecs);
}

function slice(cols, a, b) {
  return cols.map((c) => ({ ...c, vals: c.vals.slice(a, b) }));
}

function dictTable(n) {
  const ids = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i)), I64);
  const words = ["red", "green", "", "blue ✓"];
  const dt = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const vals = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : words[(i * 5) % 4]));
  const d = arrow.vectorFromArray(vals, dt);
  return new arrow.Table(new arrow.Schema([new arrow.Field("id", I64, false), new arrow.Field("d", dt, true)]),
    { id: ids, d });
}

// FNV-1a 64 of a string's UTF-8 bytes, as 16 hex digits.
function fnv(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

// Replace every JSON string over 1,000 characters in a line by a digest of its (decoded)
// text's UTF-8 bytes; binary values are printed as base64, so that is their base64 text.
// Done on the text: JSON.parse would round the 64-bit integers.
function digestLong(line) {
  let out = "", i = 0;
  while (i < line.length) {
    if (line[i] !== '"') {
      out += line[i++];
      continue;
    }
    let j = i + 1;
    while (line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
    const tok = line.slice(i, j + 1);
    const text = JSON.parse(tok);
    if (text.length > 1000) {
      const bytes = Buffer.from(text, "utf8");
      out += JSON.stringify(`#fnv:${bytes.length}:${fnv(bytes)}`);
    } else {
      out += tok;
    }
    i = j + 1;
  }
  return out;
}

let outDir, hashLong = true;

async function dump(tbl, name, withRowId = false) {
  let q = tbl.query();
  if (withRowId) q = q.withRowId();
  const got = toEsm(await q.toArrow());
  let lines = tableToJsonl(got);
  if (hashLong) lines = lines.map(digestLong);
  fs.writeFileSync(`${outDir}/${name}.jsonl`, lines.map((l) => l + "\n").join(""));
  console.log(`${name}: ${got.numRows} rows`);
}

async function create(db, name, table, opts = {}) {
  return db.createTable(name, toCjs(table), { mode: "overwrite", ...opts });
}

async function small(db) {
  for (const sv of ["2.1", "2.2"]) {
    seed = 1234;
    const name = `g_types_${sv.replace(".", "")}`;
    const t = await create(db, name, tableOf(typesColumns(120)),
      { storageOptions: { new_table_data_storage_version: sv } });
    await dump(t, name);
  }
  await dump(await create(db, "g_enc", tableOf(encColumns(600))), "g_enc");
  await dump(await create(db, "g_long", tableOf(longColumns(24, 33000))), "g_long");
  await dump(await create(db, "g_vec", tableOf(vecColumns(32, 128))), "g_vec");
  await dump(await create(db, "g_fsl", tableOf(fslColumns(300))), "g_fsl");
  await dump(await create(db, "g_dict", dictTable(500)), "g_dict");

  // Six fragments of 20 rows; LanceDB deletes from each (Arrow IPC deletion files).
  seed = 555;
  const fc = typesColumns(120);
  const f = await create(db, "g_frag", tableOf(slice(fc, 0, 20)));
  for (let k = 1; k < 6; k++) await f.add(toCjs(tableOf(slice(fc, 20 * k, 20 * k + 20))));
  await f.delete("id % 5 = 0 OR id = 77");
  await dump(f, "g_frag");

  // More than 5,000 deleted rows in one fragment: a Roaring bitmap deletion file.
  const n = 6000;
  const big = await create(db, "g_del_big", tableOf([
    F("id", I64, Array.from({ length: n }, (_, i) => BigInt(i))),
    F("v", I32, Array.from({ length: n }, (_, i) => (i * 7919) % 10007)),
  ]));
  await big.delete("id % 10 != 0");
  await dump(big, "g_del_big");

  // Stable row ids: appends, a delete, an update (rows move to a new fragment and keep
  // their ids) and another append.
  seed = 777;
  const sc = encColumns(180);
  const st = await create(db, "g_stable", tableOf(slice(sc, 0, 100)),
    { storageOptions: { new_table_enable_stable_row_ids: "true" } });
  await st.add(toCjs(tableOf(slice(sc, 100, 150))));
  await st.delete("id % 4 = 1");
  await st.update({ where: "id < 20", valuesSql: { sorted_i32: "sorted_i32 + 1000" } });
  await st.add(toCjs(tableOf(slice(sc, 150, 180))));
  await dump(st, "g_stable", true);
}

async function bigTables(db) {
  seed = 4242;
  // 4 fragments of 5,000 rows of every type, rows deleted from each (Arrow files).
  const tc = typesColumns(20000);
  const t = await create(db, "g_big_types", tableOf(slice(tc, 0, 5000)));
  for (let k = 1; k < 4; k++) await t.add(toCjs(tableOf(slice(tc, 5000 * k, 5000 * k + 5000))));
  await t.delete("id % 7 = 3");
  await dump(t, "g_big_types");
  // 3 fragments of 12,000 rows, 7,200 deleted from each (bitmap files).
  const ec = encColumns(36000);
  const f = await create(db, "g_big_frag", tableOf(slice(ec, 0, 12000)));
  for (let k = 1; k < 3; k++) await f.add(toCjs(tableOf(slice(ec, 12000 * k, 12000 * k + 12000))));
  await f.delete("id % 10 < 6");
  await dump(f, "g_big_frag");
  await dump(await create(db, "g_big_long", tableOf(longColumns(300, 40000))), "g_big_long");
  await dump(await create(db, "g_big_vec", tableOf(vecColumns(4000, 128))), "g_big_vec");
}

async function main() {
  const [dbDir, expDir, flag] = process.argv.slice(2);
  outDir = expDir;
  fs.mkdirSync(outDir, { recursive: true });
  const db = await lancedb.connect(dbDir);
  if (flag === "--big") {
    hashLong = false;
    await bigTables(db);
  } else {
    await small(db);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
