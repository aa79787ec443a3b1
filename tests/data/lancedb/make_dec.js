// Writes small LanceDB tables whose columns LanceDB stores with its dictionary, FSST,
// constant, general-compression and compressed-level encodings, and dumps LanceDB's own
// reading of each as OUT_DIR/<table>.jsonl (int64 as strings, lists as arrays, structs as
// objects, strings over 1000 bytes as "#fnv:LEN:HASH").
// Usage: node make_dec.js DB_DIR OUT_DIR
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const fs = require("fs");

let seed = 4242;
function rnd() { // mulberry32: deterministic in [0, 1)
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
  "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra",
  "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "été", "naïve", "日本"];
function sentence(min, max) {
  let s = "";
  const len = min + Math.floor(rnd() * (max - min));
  while (s.length < len) s += (s ? " " : "") + pick(WORDS) + (rnd() < 0.3 ? String(Math.floor(rnd() * 1000)) : "");
  return s;
}
function col(n, fn) { const a = []; for (let i = 0; i < n; i++) a.push(fn(i)); return a; }
const maybeNull = (p, fn) => (i) => (rnd() < p ? null : fn(i));
const utf8 = () => new arrow.Utf8();
const listOf = (t) => new arrow.List(new arrow.Field("item", t, true));

function tables() {
  const N = 1000;
  const colors = ["red", "green", "blue", "cyan", "magenta", "yellow"];
  const str = {
    s_dict: [utf8(), col(N, maybeNull(0.1, () => pick(colors)))],
    s_dict_nn: [utf8(), col(N, () => pick(colors) + "-" + pick(colors))],
    s_fsst: [utf8(), col(N, maybeNull(0.05, () => sentence(30, 80)))],
    i64_dict: [new arrow.Int64(), col(N, (i) => (BigInt(i % 5) << 40n) - 17n)],
    c_i32: [new arrow.Int32(), col(N, () => 42)],
    c_str: [utf8(), col(N, () => "constant value")],
    c_null: [new arrow.Int32(), col(N, () => null)],
    c_null_str: [utf8(), col(N, () => null)],
    c_i32_nulls: [new arrow.Int32(), col(N, maybeNull(0.2, () => 7))],
    c_f64: [new arrow.Float64(), col(N, () => 2.5)],
    l_str: [listOf(utf8()), col(N, maybeNull(0.1, () => rnd() < 0.1 ? [] :
      col(1 + Math.floor(rnd() * 4), maybeNull(0.1, () => pick(colors)))))],
    l_fsst: [listOf(utf8()), col(N, maybeNull(0.05, () =>
      col(Math.floor(rnd() * 4), maybeNull(0.05, () => sentence(10, 50)))))],
    l_i32: [listOf(new arrow.Int32()), col(N, maybeNull(0.1, () =>
      col(Math.floor(rnd() * 5), maybeNull(0.1, () => Math.floor(rnd() * 100)))))],
    ll_i32: [listOf(listOf(new arrow.Int32())), col(N, maybeNull(0.1, () =>
      col(Math.floor(rnd() * 4), maybeNull(0.1, () =>
        col(Math.floor(rnd() * 4), maybeNull(0.1, () => Math.floor(rnd() * 1000))))))) ],
    l_null: [listOf(new arrow.Int32()), col(N, (i) => (i % 3 === 0 ? null : i % 3 === 1 ? [] : [null]))],
    st: [new arrow.Struct([new arrow.Field("a", utf8(), true), new arrow.Field("b", new arrow.Int32(), true)]),
      col(N, maybeNull(0.1, () => ({ a: rnd() < 0.1 ? null : pick(colors), b: Math.floor(rnd() * 50) })))],
  };
  const M = 120;
  const long = {
    s300: [utf8(), col(M, maybeNull(0.05, () => sentence(280, 330)))],
    s300_dict: [utf8(), col(M, (i) => "x".repeat(290) + (i % 3))],
  };
  const huge = {
    id: [new arrow.Int32(), col(4, (i) => i)],
    big: [utf8(), col(4, (i) => (i === 2 ? null : sentence(150, 200).repeat(220 + i)))],
  };
  // Opt-in general compression on mini-block values (field metadata).
  const K = 600;
  const opt = {
    z_i32: [new arrow.Int32(), col(K, () => Math.floor(rnd() * 1e9)), { "lance-encoding:compression": "zstd" }],
    z_str: [utf8(), col(K, maybeNull(0.05, () => sentence(5, 30))), { "lance-encoding:compression": "zstd" }],
    l_i64: [new arrow.Int64(), col(K, () => BigInt(Math.floor(rnd() * 1e12))), { "lance-encoding:compression": "lz4" }],
    l_str: [utf8(), col(K, () => sentence(5, 30)), { "lance-encoding:compression": "lz4" }],
  };
  const C = 600;
  const cst = {
    c_str_nulls: [utf8(), col(C, maybeNull(0.2, () => "same string"))],
    c_long: [utf8(), col(C, () => "a constant string that is longer than thirty-two bytes")],
    c_i64: [new arrow.Int64(), col(C, () => -5n)],
    c_bool: [new arrow.Bool(), col(C, () => true)],
    c_fsl: [new arrow.FixedSizeList(4, new arrow.Field("item", new arrow.Float32(), true)), col(C, () => [1, 2, 3, 4])],
    c_list: [listOf(new arrow.Int32()), col(C, () => [1, 2])],
    c_list_nulls: [listOf(utf8()), col(C, maybeNull(0.2, () => ["k"]))],
  };
  // Opt-in packed structs (one column for the whole struct), which our reader refuses:
  // fixed-width fields (both versions), and with a string (variable packed, 2.2 only).
  const P = 300, md = { "lance-encoding:packed": "true" };
  const fieldsOf = (...f) => f.map(([n, t]) => new arrow.Field(n, t, true));
  const packed = {
    p: [new arrow.Struct(fieldsOf(["a", new arrow.Int32()], ["b", new arrow.Float64()])),
      col(P, (i) => ({ a: i, b: i / 2 })), md],
  };
  const vpacked = {
    p: [new arrow.Struct(fieldsOf(["a", new arrow.Int32()], ["s", utf8()])),
      col(P, (i) => ({ a: i, s: "v" + i })), md],
  };
  return { dec_const: cst, dec_str: str, dec_long: long, dec_huge: huge, dec_opt: opt,
    dec_packed: packed, dec_vpacked: vpacked };
}

// FNV-1a 64 of a string's UTF-8 bytes: long strings are kept in the JSONL as "#fnv:LEN:HASH".
function fnv(s) {
  const b = Buffer.from(s, "utf8");
  let h = 0xcbf29ce484222325n;
  for (const c of b) h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return `#fnv:${b.length}:${h.toString(16).padStart(16, "0")}`;
}

function conv(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" && Buffer.byteLength(v, "utf8") > 1000) return fnv(v);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (typeof v === "object" && typeof v.toArray === "function" && typeof v.length === "number") {
    const out = [];
    for (let i = 0; i < v.length; i++) out.push(conv(v.get(i)));
    return out;
  }
  if (typeof v === "object" && typeof v.toJSON === "function") {
    const j = v.toJSON(), o = {};
    for (const k of Object.keys(j)) o[k] = conv(j[k]);
    return o;
  }
  return v;
}

async function main() {
  const [dbDir, outDir] = process.argv.slice(2);
  const db = await lancedb.connect(dbDir);
  for (const [tname, cols] of Object.entries(tables())) {
    const fields = [], vecs = {};
    for (const [name, [type, vals, md]] of Object.entries(cols)) {
      fields.push(new arrow.Field(name, type, true, md ? new Map(Object.entries(md)) : undefined));
      vecs[name] = arrow.vectorFromArray(vals, type);
    }
    const schema = new arrow.Schema(fields);
    const table = new arrow.Table(schema, vecs);
    let t;
    try {
      t = await db.createTable(tname, table, { mode: "overwrite" });
    } catch (e) { // 0.37.1 (file 2.1) cannot write variable packed structs
      console.log(tname, "not written:", String(e).split("\n")[0]);
      continue;
    }
    const got = await t.query().limit(1e7).toArrow();
    const lines = [];
    for (let i = 0; i < got.numRows; i++) {
      const row = got.get(i), o = {};
      for (const f of fields) o[f.name] = conv(row[f.name]);
      lines.push(JSON.stringify(o));
    }
    if (!tname.includes("packed")) // refused by our reader: nothing to compare
      fs.writeFileSync(`${outDir}/${tname}.jsonl`, lines.join("\n") + "\n");
    console.log(tname, "rows", got.numRows);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
