// LanceDB's answers for the differential test of the expr module (tests/expr/README.md).
// Run from an npm directory holding @lancedb/lancedb and apache-arrow (node resolves
// the imports from the script's directory):
//
//   node lancedb_expected.mjs DB TABLE FILTERS.txt VALUES.txt OUT.jsonl
//
// For each filter F of FILTERS.txt (one per line; blank lines and '#' comments skipped):
//   {"kind":"filter","expr":F,"count":N,"ids":HEX}
// where HEX is the bitmap of the N ids of query().where(F).select(["id"]) (bit i, least
// significant first in each byte, for id i), or {"kind":"filter","expr":F,"error":MSG};
// "count_rows" is added when countRows(F) differs from N, "count_error" when it fails.
// For each value expression V of VALUES.txt:
//   {"kind":"value","expr":V,"type":T,"values":[...]}
// the values of query().where("id < 400").select({v: V, id: "id"}) ordered by id, or
// {"kind":"value","expr":V,"error":MSG}. T is the result type as our library prints
// types ("int64", "list<int32>", "timestamp[us, tz=UTC]"). Values: null; true/false;
// integers, dates (days), timestamps and durations (in their unit) and decimals (exact,
// "12.50") as decimal strings; floats as
// numbers (shortest round-trip text) or "NaN", "Infinity", "-Infinity", "-0"; strings
// as strings; binary as "0x" + hex; lists as arrays; structs as objects.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as lancedb from "@lancedb/lancedb";

// LanceDB's results are Arrow JS tables of the CommonJS build of apache-arrow.
const arrow = createRequire(import.meta.url)("apache-arrow");
const { Type } = arrow;

const N_ROWS = 2000;
const VALUE_ROWS = 400;

function lines(path) {
  return fs.readFileSync(path, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

// Error messages: the first line, without the source locations of LanceDB's build
// (", /path/to/file.rs:12:34"), bounded.
function message(err) {
  const m = String(err && err.message ? err.message : err).split("\n")[0]
    .replace(/,? ?\/[^\s,]*\.rs:\d+:\d+/g, "");
  return m.length > 300 ? m.slice(0, 300) + "..." : m;
}

// The type as gnv__type_to_string prints it.
function typeName(t) {
  switch (t.typeId) {
    case Type.Null: return "null";
    case Type.Bool: return "bool";
    case Type.Int: return `${t.isSigned ? "" : "u"}int${t.bitWidth}`;
    case Type.Float: return ["float16", "float32", "float64"][t.precision];
    case Type.Utf8: return "utf8";
    case Type.LargeUtf8: return "large_utf8";
    case Type.Binary: return "binary";
    case Type.LargeBinary: return "large_binary";
    case Type.FixedSizeBinary: return `fixed_size_binary[${t.byteWidth}]`;
    case Type.Date: return t.unit === 0 ? "date32" : "date64";
    case Type.Timestamp: {
      const unit = ["s", "ms", "us", "ns"][t.unit];
      return t.timezone ? `timestamp[${unit}, tz=${t.timezone}]` : `timestamp[${unit}]`;
    }
    case Type.List: return `list<${typeName(t.children[0].type)}>`;
    case Type.FixedSizeList: return `fixed_size_list<${typeName(t.children[0].type)}, ${t.listSize}>`;
    case Type.Struct:
      return `struct<${t.children.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")}>`;
    case Type.Decimal: return `decimal${t.bitWidth}(${t.precision}, ${t.scale})`;
    case Type.Duration: return `duration[${["s", "ms", "us", "ns"][t.unit]}]`;
    default: return `unknown<${String(t)}>`;
  }
}

function isValid(data, i) {
  if (data.typeId === Type.Null) return false;
  if (!data.nullBitmap || data.nullBitmap.length === 0 || data.nullCount === 0) return true;
  const k = data.offset + i;
  return ((data.nullBitmap[k >> 3] >> (k & 7)) & 1) === 1;
}

// A 64-bit value k of a buffer: BigInt64Array/BigUint64Array, or Int32Array pairs.
function int64At(values, k, signed) {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return values[k];
  const lo = BigInt(values[2 * k] >>> 0), hi = BigInt(values[2 * k + 1] | 0);
  const v = (hi << 32n) | lo;
  return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
}

// Decimal value k (little-endian 32-bit words) as exact text with `scale` digits after
// the point, as arrow-rs prints it ("-12.50", "0.05").
function decimalText(values, k, bitWidth, scale) {
  const words = bitWidth / 32;
  let v = 0n;
  for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[k * words + w] >>> 0);
  v = BigInt.asIntN(bitWidth, v);
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = digits.slice(0, digits.length - scale) + "." + digits.slice(digits.length - scale);
  }
  return (neg ? "-" : "") + digits;
}

function floatJson(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0 && 1 / x < 0) return "-0";
  return x;
}

const utf8 = new TextDecoder("utf-8");
const hex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Value i of an Arrow JS Data, from its buffers (Arrow JS's getters lose precision on
// 64-bit timestamps).
function valueOf(data, i) {
  if (!isValid(data, i)) return null;
  const k = data.offset + i;
  const t = data.type;
  switch (t.typeId) {
    case Type.Bool: return ((data.values[k >> 3] >> (k & 7)) & 1) === 1;
    case Type.Int:
      if (t.bitWidth === 64) return String(int64At(data.values, k, t.isSigned));
      return String(data.values[k]);
    case Type.Float:
      if (t.precision === 0) return "float16?";
      return floatJson(data.values[k]);
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const o = data.valueOffsets;
      const a = Number(o[k]), b = Number(o[k + 1]);
      const bytes = data.values.subarray(a, b);
      return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8 ? utf8.decode(bytes) : hex(bytes);
    }
    case Type.FixedSizeBinary:
      return hex(data.values.subarray(k * t.byteWidth, (k + 1) * t.byteWidth));
    case Type.Date:
      if (t.unit === 0) return String(data.values[k]);
      return String(int64At(data.values, k, true));
    case Type.Timestamp:
    case Type.Duration: return String(int64At(data.values, k, true));
    case Type.Decimal: return decimalText(data.values, k, t.bitWidth, t.scale);
    case Type.List: {
      const o = data.valueOffsets, child = data.children[0];
      const out = [];
      for (let j = Number(o[k]); j < Number(o[k + 1]); j++) out.push(valueOf(child, j - child.offset));
      return out;
    }
    case Type.FixedSizeList: {
      const child = data.children[0], n = t.listSize;
      const out = [];
      for (let j = k * n; j < (k + 1) * n; j++) out.push(valueOf(child, j - child.offset));
      return out;
    }
    case Type.Struct: {
      const out = {};
      t.children.forEach((f, c) => { out[f.name] = valueOf(data.children[c], k - data.children[c].offset); });
      return out;
    }
    default: return `<${String(t)}>`;
  }
}

// Every value of column `name` of an Arrow JS table, with the ids, as [id, value].
function columnValues(table, name) {
  const out = [];
  const ids = [];
  for (const d of table.getChild("id").data)
    for (let i = 0; i < d.length; i++) ids.push(Number(int64At(d.values, d.offset + i, true)));
  let row = 0;
  for (const d of table.getChild(name).data)
    for (let i = 0; i < d.length; i++) out.push([ids[row++], valueOf(d, i)]);
  return out;
}

// The row set comes from query().where(F); countRows(F) must agree. When countRows
// alone fails (LanceDB 0.39.0 fails some _rowid filters in its count pushdown) the
// entry keeps the row set and notes the failure in "count_error".
async function filterLine(tbl, f) {
  let res;
  try {
    res = await tbl.query().where(f).select(["id"]).toArrow();
  } catch (err) {
    return { kind: "filter", expr: f, error: message(err) };
  }
  const bits = new Uint8Array(Math.ceil(N_ROWS / 8));
  let nids = 0;
  // With no rows, the result may have no columns at all.
  if (res.numRows > 0 || res.getChild("id"))
    for (const d of res.getChild("id").data)
      for (let i = 0; i < d.length; i++) {
        const id = Number(int64At(d.values, d.offset + i, true));
        bits[id >> 3] |= 1 << (id & 7);
        nids++;
      }
  const line = { kind: "filter", expr: f, count: nids, ids: hex(bits).slice(2) };
  try {
    const count = await tbl.countRows(f);
    if (count !== nids) line.count_rows = count;
  } catch (err) {
    line.count_error = message(err);
  }
  return line;
}

// Arrow JS 18 cannot read Utf8View (type 24), which DataFusion's string functions
// return: such results are read through arrow_cast(V, 'Utf8') and recorded as utf8.
async function valueLine(tbl, v) {
  let res, note;
  try {
    res = await tbl.query().where(`id < ${VALUE_ROWS}`).select({ v, id: "id" }).toArrow();
  } catch (err) {
    const m = String(err && err.message);
    // A type Arrow JS cannot read is not LanceDB refusing the expression.
    if (/Unrecognized type/.test(m) && !/Unrecognized type: "undefined" \(24\)/.test(m))
      throw new Error(`cannot read LanceDB's result of ${v}: ${m}`);
    if (!/Unrecognized type: "undefined" \(24\)/.test(m))
      return { kind: "value", expr: v, error: message(err) };
    try {
      res = await tbl.query().where(`id < ${VALUE_ROWS}`)
        .select({ v: `arrow_cast(${v}, 'Utf8')`, id: "id" }).toArrow();
      note = "LanceDB returns Utf8View, read as utf8";
    } catch (err2) {
      return { kind: "value", expr: v, error: message(err2) };
    }
  }
  const type = typeName(res.schema.fields.find((f) => f.name === "v").type);
  const rows = columnValues(res, "v").sort((a, b) => a[0] - b[0]);
  if (rows.length !== VALUE_ROWS || rows.some(([id], i) => id !== i))
    return { kind: "value", expr: v, error: `LanceDB returned ${rows.length} rows, not ids 0..${VALUE_ROWS - 1}` };
  const line = { kind: "value", expr: v, type, values: rows.map(([, x]) => x) };
  if (note) line.note = note;
  return line;
}

const [dir, name, filtersPath, valuesPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node lancedb_expected.mjs DB TABLE FILTERS.txt VALUES.txt OUT.jsonl");
  process.exit(2);
}
const tbl = await (await lancedb.connect(dir)).openTable(name);
const out = [];
for (const f of lines(filtersPath)) out.push(JSON.stringify(await filterLine(tbl, f)));
for (const v of lines(valuesPath)) out.push(JSON.stringify(await valueLine(tbl, v)));
fs.writeFileSync(outPath, out.join("\n") + "\n");
const nerr = out.filter((l) => l.includes('"error":')).length;
console.log(`${out.length} expressions, ${nerr} errors in LanceDB, written to ${outPath}`);
