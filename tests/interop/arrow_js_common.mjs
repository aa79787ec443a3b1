// Shared by the Arrow JS interop scripts: turning Arrow JS data into the canonical JSON
// text `geneva inspect --format jsonl` prints, and comparing two JSONL texts value by
// value (integers exactly, floats by round-trip equality, timestamps as instants).
import * as arrow from "apache-arrow";

const { DataType } = arrow;

// ---- float formatting ---------------------------------------------------------------

// Round a double to the nearest float16 (ties to even) and back. Not Arrow JS's
// float64ToUint16, which truncates some values instead of rounding them.
export function toF16(x) {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x), sign = x < 0 ? -1 : 1;
  if (a >= 65520) return sign * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = e < -14 ? 2 ** -24 : 2 ** (e - 10);
  const v = a / q, f = Math.floor(v), d = v - f;
  const n = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return sign * n * q;
}

// Shortest decimal text that reads back as the same value at the given precision.
export function shortestFloat(x, bits) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (bits === 64) return Object.is(x, -0) ? "-0" : String(x);
  const round = bits === 32 ? Math.fround : toF16;
  for (let p = 1; p <= 17; p++) {
    const s = x.toPrecision(p);
    if (round(Number(s)) === x) return Object.is(x, -0) ? "-0" : String(Number(s));
  }
  return String(x);
}

// ---- canonical JSON of Arrow JS values ----------------------------------------------

function pad(n, w) {
  return String(n).padStart(w, "0");
}

// Civil date from days since 1970-01-01 (proleptic Gregorian).
export function civil(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
    Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const ys = y < 0 ? "-" + pad(-y, 4) : pad(y, 4);
  return `${ys}-${pad(m, 2)}-${pad(d, 2)}`;
}

const UNIT_PER_S = [1n, 1000n, 1000000n, 1000000000n];
const UNIT_DIGITS = [0, 3, 6, 9];

function tzOffsetSeconds(tz) {
  if (!tz || tz === "UTC" || tz === "Z" || tz === "Etc/UTC") return 0;
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(tz);
  if (!m) throw new Error(`interop test supports only UTC and fixed-offset zones, not ${tz}`);
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
}

// ISO-8601 text of a raw timestamp (BigInt count of `unit` since the epoch).
export function isoTimestamp(raw, unit, tz) {
  const per = UNIT_PER_S[unit];
  const off = tz ? tzOffsetSeconds(tz) : 0;
  let secs = raw / per;
  let frac = raw % per;
  if (frac < 0n) {
    frac += per;
    secs -= 1n;
  }
  secs += BigInt(off);
  let days = secs / 86400n;
  let rem = secs % 86400n;
  if (rem < 0n) {
    rem += 86400n;
    days -= 1n;
  }
  const r = Number(rem);
  let s = `${civil(Number(days))}T${pad(Math.floor(r / 3600), 2)}:${pad(Math.floor(r / 60) % 60, 2)}:${pad(r % 60, 2)}`;
  if (UNIT_DIGITS[unit]) s += "." + frac.toString().padStart(UNIT_DIGITS[unit], "0");
  if (tz) {
    if (off === 0) s += "Z";
    else {
      const a = Math.abs(off);
      s += `${off < 0 ? "-" : "+"}${pad(Math.floor(a / 3600), 2)}:${pad(Math.floor(a / 60) % 60, 2)}`;
    }
  }
  return s;
}

function b64(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

// Canonical JSON text of element i of an Arrow JS Data.
export function jsonOf(data, i) {
  const t = data.type;
  if (DataType.isNull(t) || !data.getValid(i)) return "null";
  if (DataType.isDictionary(t)) {
    const v = arrow.makeVector(data).get(i);
    return v === null ? "null" : JSON.stringify(v);
  }
  if (DataType.isStruct(t)) {
    const parts = t.children.map((f, j) => JSON.stringify(f.name) + ":" + jsonOf(data.children[j], i));
    return "{" + parts.join(",") + "}";
  }
  if (DataType.isList(t)) {
    const o = data.valueOffsets;
    const out = [];
    for (let k = Number(o[i]); k < Number(o[i + 1]); k++) out.push(jsonOf(data.children[0], k));
    return "[" + out.join(",") + "]";
  }
  if (DataType.isFixedSizeList(t)) {
    const out = [];
    for (let k = i * t.listSize; k < (i + 1) * t.listSize; k++) out.push(jsonOf(data.children[0], k));
    return "[" + out.join(",") + "]";
  }
  if (DataType.isTimestamp(t)) return JSON.stringify(isoTimestamp(data.values[i], t.unit, t.timezone));
  if (DataType.isDate(t)) {
    if (t.unit !== arrow.DateUnit.DAY) throw new Error("date64 is not part of this test");
    return JSON.stringify(civil(data.values[i]));
  }
  const v = arrow.makeVector(data).get(i);
  if (DataType.isBool(t)) return v ? "true" : "false";
  if (DataType.isInt(t)) return String(v);
  if (DataType.isFloat(t)) {
    const bits = [16, 32, 64][t.precision];
    const s = shortestFloat(v, bits);
    return /^-?[0-9]/.test(s) ? s : JSON.stringify(s);
  }
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return JSON.stringify(v);
  if (DataType.isBinary(t) || DataType.isLargeBinary(t) || DataType.isFixedSizeBinary(t))
    return JSON.stringify(b64(v));
  throw new Error(`type ${t} is not part of this test`);
}

// Every row of a table as canonical JSONL lines.
export function tableToJsonl(table) {
  const lines = [];
  for (const batch of table.batches) {
    const d = batch.data;
    for (let i = 0; i < d.length; i++) {
      const parts = batch.schema.fields.map((f, j) => JSON.stringify(f.name) + ":" + jsonOf(d.children[j], i));
      lines.push("{" + parts.join(",") + "}");
    }
  }
  return lines;
}

// "name: type" as gnv__type_to_string writes it, for the schema checks.
export function typeString(t) {
  if (DataType.isDictionary(t)) return typeString(t.dictionary);
  if (DataType.isNull(t)) return "null";
  if (DataType.isBool(t)) return "bool";
  if (DataType.isInt(t)) return `${t.isSigned ? "int" : "uint"}${t.bitWidth}`;
  if (DataType.isFloat(t)) return `float${[16, 32, 64][t.precision]}`;
  if (DataType.isUtf8(t)) return "utf8";
  if (DataType.isLargeUtf8(t)) return "large_utf8";
  if (DataType.isBinary(t)) return "binary";
  if (DataType.isLargeBinary(t)) return "large_binary";
  if (DataType.isFixedSizeBinary(t)) return `fixed_size_binary[${t.byteWidth}]`;
  if (DataType.isDate(t)) return "date32";
  if (DataType.isTimestamp(t)) {
    const u = ["s", "ms", "us", "ns"][t.unit];
    return t.timezone ? `timestamp[${u}, tz=${t.timezone}]` : `timestamp[${u}]`;
  }
  if (DataType.isList(t)) return `list<${typeString(t.children[0].type)}>`;
  if (DataType.isFixedSizeList(t)) return `fixed_size_list<${typeString(t.children[0].type)}, ${t.listSize}>`;
  if (DataType.isStruct(t)) return `struct<${t.children.map((f) => `${f.name}: ${typeString(f.type)}`).join(", ")}>`;
  throw new Error(`no type string for ${t}`);
}

// ---- a JSON parser that keeps numbers as their text ---------------------------------

export function parseRaw(text) {
  let p = 0;
  const ws = () => {
    while (p < text.length && " \t\r\n".includes(text[p])) p++;
  };
  const fail = (msg) => {
    throw new Error(`${msg} at offset ${p} of ${JSON.stringify(text.slice(0, 200))}`);
  };
  function value() {
    ws();
    const c = text[p];
    if (c === "{") {
      p++;
      const o = {};
      const keys = [];
      ws();
      if (text[p] === "}") {
        p++;
        return { obj: o, keys };
      }
      for (;;) {
        ws();
        if (text[p] !== '"') fail("expected a key");
        const k = str();
        ws();
        if (text[p++] !== ":") fail("expected ':'");
        o[k] = value();
        keys.push(k);
        ws();
        if (text[p] === ",") p++;
        else if (text[p] === "}") {
          p++;
          return { obj: o, keys };
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      p++;
      const a = [];
      ws();
      if (text[p] === "]") {
        p++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[p] === ",") p++;
        else if (text[p] === "]") {
          p++;
          return a;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(p, p + 400));
    if (m) {
      p += m[0].length;
      return { num: m[0] };
    }
    for (const [w, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(w, p)) {
        p += w.length;
        return v;
      }
    }
    fail("unexpected character");
  }
  function str() {
    const start = p;
    p++;
    while (p < text.length && text[p] !== '"') p += text[p] === "\\" ? 2 : 1;
    if (p >= text.length) fail("unterminated string");
    p++;
    return JSON.parse(text.slice(start, p));
  }
  const v = value();
  ws();
  if (p !== text.length) fail("trailing text");
  return v;
}

// ---- comparison -----------------------------------------------------------------------

const TS_RE = /^(-?\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/;

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// An ISO timestamp as [nanoseconds since the epoch (BigInt), has a zone].
function parseTs(s) {
  const m = TS_RE.exec(s);
  if (!m) return null;
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  let ns = (BigInt(days) * 86400n + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]))) *
    1000000000n;
  if (m[7]) ns += BigInt(m[7].padEnd(9, "0"));
  if (m[8] && m[8] !== "Z") ns -= BigInt(tzOffsetSeconds(m[8].length === 5 ? m[8].slice(0, 3) + ":" + m[8].slice(3) : m[8])) * 1000000000n;
  return [ns, !!m[8]];
}

const INT_RE = /^-?\d+$/;
const show = (v) => (v && v.num !== undefined ? v.num : v && v.obj ? "{...}" : JSON.stringify(v));

// Compare expected and actual parsed values; push differences (path: what) into diffs.
function cmp(e, a, path, prec, diffs) {
  if (diffs.length >= 20) return;
  if (e === null || a === null || typeof e !== "object" || typeof a !== "object") {
    if (typeof e === "string" && typeof a === "string") {
      if (e === a) return;
      const te = parseTs(e), ta = parseTs(a);
      if (te && ta && te[0] === ta[0] && te[1] === ta[1]) return;
    } else if (e === a) return;
    diffs.push(`${path || "(row)"}: expected ${show(e)}, got ${show(a)}`);
    return;
  }
  if (e.num !== undefined || a.num !== undefined) {
    if (e.num === undefined || a.num === undefined) {
      diffs.push(`${path || "(row)"}: expected ${show(e)}, got ${show(a)}`);
      return;
    }
    if (INT_RE.test(e.num) && INT_RE.test(a.num)) {
      if (BigInt(e.num) !== BigInt(a.num)) diffs.push(`${path}: expected ${e.num}, got ${a.num}`);
      return;
    }
    const x = Number(e.num), y = Number(a.num);
    if (Object.is(x, y)) return;
    const p = prec(path);
    if (p === 32 && Object.is(Math.fround(x), Math.fround(y))) return;
    if (p === 16 && Object.is(toF16(x), toF16(y))) return;
    diffs.push(`${path}: expected ${e.num}, got ${a.num}`);
    return;
  }
  if (Array.isArray(e) || Array.isArray(a)) {
    if (!Array.isArray(e) || !Array.isArray(a) || e.length !== a.length) {
      diffs.push(`${path}: expected ${Array.isArray(e) ? `a list of ${e.length}` : show(e)}, got ${Array.isArray(a) ? `a list of ${a.length}` : show(a)}`);
      return;
    }
    e.forEach((x, k) => cmp(x, a[k], `${path}[${k}]`, prec, diffs));
    return;
  }
  if (!e.obj || !a.obj) {
    diffs.push(`${path || "(row)"}: expected ${show(e)}, got ${show(a)}`);
    return;
  }
  const ek = e.keys.join(","), ak = a.keys.join(",");
  if (ek !== ak) diffs.push(`${path}: expected keys [${ek}], got [${ak}]`);
  for (const k of e.keys) if (k in a.obj) cmp(e.obj[k], a.obj[k], path ? `${path}.${k}` : k, prec, diffs);
}

// Compare two JSONL texts. `floatBits` maps a top-level column name to 16 or 32 for
// columns whose numbers are float16/float32 (either side may print them at that
// precision). Returns a list of differences (empty when equal).
export function compareJsonl(expectedText, actualText, floatBits = {}) {
  const el = expectedText.split("\n").filter((l) => l.trim() !== "");
  const al = actualText.split("\n").filter((l) => l.trim() !== "");
  const diffs = [];
  if (el.length !== al.length) diffs.push(`expected ${el.length} rows, got ${al.length}`);
  const prec = (path) => floatBits[path.split(/[.[]/)[0]] || 64;
  for (let r = 0; r < Math.min(el.length, al.length) && diffs.length < 20; r++) {
    let a;
    try {
      a = parseRaw(al[r]);
    } catch (err) {
      diffs.push(`row ${r}: output is not JSON: ${err.message}`);
      continue;
    }
    const local = [];
    cmp(parseRaw(el[r]), a, "", prec, local);
    for (const d of local) diffs.push(`row ${r}: ${d}`);
  }
  return diffs;
}

// Float precision per top-level column of a schema, for compareJsonl.
export function floatBitsOf(schema) {
  const out = {};
  const walk = (t) => {
    if (DataType.isFloat(t)) return [16, 32, 64][t.precision];
    let best = 64;
    for (const c of t.children || []) best = Math.min(best, walk(c.type));
    return best;
  };
  for (const f of schema.fields) out[f.name] = walk(f.type);
  return out;
}
