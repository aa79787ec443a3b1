// Arrow JS -> geneva: write IPC files (file and stream format) with every type the
// library reads, nulls at every nesting level, field metadata and several batches, plus
// the rows as canonical JSONL (what `geneva inspect --format jsonl` must print), the
// expected schema lines and the float precision of each column.
//
//   node arrow_js_write.mjs OUTDIR
//
// Writes OUTDIR/<name>.arrow, <name>.arrows, <name>.jsonl, <name>.schema (one
// "name: type" line per field, then "meta KEY VALUE" lines) and <name>.floats.json for
// name in js_all, js_dict. Arrow JS 18 cannot write compressed IPC bodies (nor read
// them: "Record batch compression not implemented") and has no LargeList type, so those
// are covered by arrow_js_read.mjs and our own reader instead.
import * as fs from "node:fs";
import * as path from "node:path";
import * as arrow from "apache-arrow";
import { tableToJsonl, typeString, floatBitsOf } from "./arrow_js_common.mjs";

const out = process.argv[2];
if (!out) throw new Error("usage: node arrow_js_write.mjs OUTDIR");
fs.mkdirSync(out, { recursive: true });

const BATCHES = [5, 1, 6, 0, 4]; // rows per batch (an empty batch included)
const N = BATCHES.reduce((a, b) => a + b, 0);
const pick = (vals, r) => vals[r % vals.length];
// Column k is null at rows where (r + k) % 4 == 1, so nulls land in different places.
const isNull = (k, r) => (r + k) % 4 === 1;

const F = (name, type, nullable = true, meta = null) =>
  new arrow.Field(name, type, nullable, meta ? new Map(Object.entries(meta)) : null);

const itemStruct = new arrow.Struct([F("x", new arrow.Bool()), F("y", new arrow.Float64())]);
const tsUnits = [
  ["s", arrow.TimestampSecond, [0n, -1n, 1700000000n, 253402300799n, -62135596800n, 951782400n]],
  ["ms", arrow.TimestampMillisecond, [0n, -1n, 1700000000123n, 253402300799999n, -62135596800000n, 951782400001n]],
  ["us", arrow.TimestampMicrosecond, [0n, -1n, 1700000000123456n, 253402300799999999n, -62135596800000000n, 951782400000001n]],
  ["ns", arrow.TimestampNanosecond, [0n, -1n, 1700000000123456789n, 9223372036854775807n, -9223372036854775807n, 951782400000000001n]],
];

// [field, values by row (model values; null = null)] for the js_all file.
const columns = [
  [F("id", new arrow.Int64(), false), (r) => BigInt(r)],
  [F("n", new arrow.Null()), () => null],
  [F("b", new arrow.Bool()), (r) => r % 3 === 0],
  // Arrow JS writes an all-null column with an empty values buffer, and a null-type
  // child with null count -1: both must read.
  [F("b_all_null", new arrow.Bool()), () => null],
  [F("l_null", new arrow.List(F("item", new arrow.Null()))), (r) => pick([[null, null], [], [null]], r)],
  [F("i8", new arrow.Int8()), (r) => pick([-128, 127, 0, -1, 42], r)],
  [F("i16", new arrow.Int16()), (r) => pick([-32768, 32767, 0, -1, 1234], r)],
  [F("i32", new arrow.Int32(), true, { unit: "metres", "": "empty key" }), (r) => pick([-2147483648, 2147483647, 0, -1, 99], r)],
  [F("i64", new arrow.Int64()), (r) => pick([-9223372036854775808n, 9223372036854775807n, 0n, -1n, 9007199254740993n], r)],
  [F("u8", new arrow.Uint8()), (r) => pick([0, 255, 1, 128], r)],
  [F("u16", new arrow.Uint16()), (r) => pick([0, 65535, 1, 32768], r)],
  [F("u32", new arrow.Uint32()), (r) => pick([0, 4294967295, 1, 2147483648], r)],
  [F("u64", new arrow.Uint64()), (r) => pick([0n, 18446744073709551615n, 1n, 9223372036854775808n], r)],
  [F("f16", new arrow.Float16()), (r) => pick([0.5, -2, 65504, NaN, -Infinity, 0.0999755859375, 6.103515625e-5], r)],
  [F("f32", new arrow.Float32()), (r) => pick([Math.fround(0.1), -3.5, Infinity, NaN, Math.fround(1e-40), -0, Math.fround(3.4028234663852886e38)], r)],
  [F("f64", new arrow.Float64()), (r) => pick([0.1, -0, 1e308, 5e-324, -Infinity, NaN, 123456789.125, 1e21, 1 / 3], r)],
  [F("s", new arrow.Utf8()), (r) => pick(["", "héllo", "日本語", 'q"uote\\back\nline\ttab', "\u0001ctl", "😀"], r)],
  [F("ls", new arrow.LargeUtf8()), (r) => pick(["large", "", "ü", "x".repeat(40)], r)],
  [F("bin", new arrow.Binary()), (r) => pick([new Uint8Array([]), new Uint8Array([0, 255, 1]), new Uint8Array([104, 105])], r)],
  [F("lbin", new arrow.LargeBinary()), (r) => pick([new Uint8Array([7]), new Uint8Array([]), new Uint8Array([250, 251, 252, 253])], r)],
  [F("fsb", new arrow.FixedSizeBinary(3)), (r) => pick([new Uint8Array([1, 2, 3]), new Uint8Array([0, 0, 0]), new Uint8Array([255, 128, 64])], r)],
  [F("d", new arrow.DateDay()), (r) => pick([0, -1, 19000, 2932896, -719162, 11016], r)],
  ...tsUnits.flatMap(([u, T, vals]) => [
    [F(`ts_${u}`, new T()), (r) => pick(vals, r), "ts"],
    [F(`ts_${u}_tz`, new T(u === "ns" ? "+05:30" : "UTC")), (r) => pick(vals, r + 1), "ts"],
  ]),
  [F("l", new arrow.List(F("item", new arrow.Int32()))), (r) => pick([[1, null, 3], [], [-2147483648, 2147483647], [null], [0]], r)],
  [F("ll", new arrow.List(F("item", new arrow.List(F("item", new arrow.Int64()))))),
    (r) => pick([[[1n], [null], null, []], [], [[2n, 3n]], [null]], r)],
  [F("fsl", new arrow.FixedSizeList(2, F("item", new arrow.Float32()))), (r) => pick([[1.5, null], [Math.fround(0.1), -0], [null, null], [2, 4]], r)],
  [F("st", new arrow.Struct([F("a", new arrow.Int32(), true, { child: "meta" }), F("b", new arrow.Utf8()),
    F("c", new arrow.List(F("item", itemStruct)))]), true, { note: "nested ✓" }),
    (r) => pick([{ a: 1, b: "x", c: [{ x: true, y: 1.5 }, null, { x: null, y: null }] },
      { a: null, b: null, c: null }, { a: 2, b: "", c: [] }, { a: -5, b: "y", c: [{ x: false, y: -0.25 }] }], r)],
];

function nullBitmap(valid) {
  const bm = new Uint8Array(Math.ceil(valid.length / 8) || 1);
  valid.forEach((v, i) => { if (v) bm[i >> 3] |= 1 << (i & 7); });
  return bm;
}

// Data for rows [lo, hi) of column k.
function columnData(k, lo, hi) {
  const [field, gen, kind] = columns[k];
  const vals = [];
  for (let r = lo; r < hi; r++) vals.push(field.nullable && isNull(k, r) ? null : gen(r));
  const n = hi - lo;
  if (kind === "ts") {
    // The timestamp builders take epoch milliseconds; write the raw values instead.
    const valid = vals.map((v) => v !== null);
    return arrow.makeData({
      type: field.type, length: n, nullCount: valid.filter((v) => !v).length,
      nullBitmap: nullBitmap(valid), data: BigInt64Array.from(vals, (v) => v ?? 0n),
    });
  }
  if (arrow.DataType.isFixedSizeList(field.type)) {
    // Arrow JS 18's FixedSizeListBuilder leaves out the child slots of trailing null
    // lists (child length < length * listSize), which the format forbids and our reader
    // rejects; build the child with the null lists' slots included.
    const size = field.type.listSize;
    const cb = arrow.makeBuilder({ type: field.type.children[0].type, nullValues: [null, undefined] });
    for (const v of vals) for (let k = 0; k < size; k++) cb.append(v === null ? null : v[k]);
    const child = cb.finish().toVector().data[0];
    const valid = vals.map((v) => v !== null);
    return arrow.makeData({
      type: field.type, length: n, nullCount: valid.filter((v) => !v).length,
      nullBitmap: nullBitmap(valid), child,
    });
  }
  const b = arrow.makeBuilder({ type: field.type, nullValues: [null, undefined] });
  for (const v of vals) b.append(arrow.DataType.isDate(field.type) && v !== null ? new Date(v * 86400000) : v);
  const vec = b.finish().toVector();
  return vec.data[0];
}

function makeTable(cols, dataOf) {
  const schema = new arrow.Schema(cols.map((c) => c[0]), new Map([["origin", "arrow-js"]]));
  const batches = [];
  let lo = 0;
  for (const n of BATCHES) {
    const children = cols.map((_, k) => dataOf(k, lo, lo + n));
    const st = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children });
    batches.push(new arrow.RecordBatch(schema, st));
    lo += n;
  }
  return new arrow.Table(schema, batches);
}

function emit(name, table) {
  const file = arrow.tableToIPC(table, "file");
  const stream = arrow.tableToIPC(table, "stream");
  fs.writeFileSync(path.join(out, `${name}.arrow`), file);
  fs.writeFileSync(path.join(out, `${name}.arrows`), stream);
  // The expected rows come from what Arrow JS itself reads back from its file.
  const back = arrow.tableFromIPC(file);
  if (back.numRows !== table.numRows) throw new Error(`${name}: Arrow JS read back ${back.numRows} rows`);
  fs.writeFileSync(path.join(out, `${name}.jsonl`), tableToJsonl(back).join("\n") + "\n");
  const lines = back.schema.fields.map((f) => `${f.name}: ${typeString(f.type)}${f.nullable ? "" : " not null"}`);
  for (const f of back.schema.fields) for (const [k, v] of f.metadata) lines.push(`meta ${k}\t${v}`);
  fs.writeFileSync(path.join(out, `${name}.schema`), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(out, `${name}.floats.json`), JSON.stringify(floatBitsOf(back.schema)));
  console.log(`wrote ${name}: ${table.numRows} rows in ${table.batches.length} batches, ${table.schema.fields.length} columns`);
}

emit("js_all", makeTable(columns, columnData));

// A dictionary-encoded utf8 column (one dictionary, shared by every batch) beside ints.
const dictValues = ["apple", "banana", null, "apple", "cherry", "", "banana"];
const dictAll = arrow.vectorFromArray(
  Array.from({ length: N }, (_, r) => pick(dictValues, r)),
  new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
).data[0];
const dictCols = [
  [F("k", new arrow.Int32(), false), null],
  [F("fruit", new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())), null],
];
emit("js_dict", makeTable(dictCols, (k, lo, hi) => k === 0
  ? arrow.makeData({ type: new arrow.Int32(), length: hi - lo, data: Int32Array.from({ length: hi - lo }, (_, i) => lo + i) })
  : dictAll.slice(lo, hi - lo)));
