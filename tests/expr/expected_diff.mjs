// Compare two expectation files of lancedb_expected.mjs (tests/expr/README.md):
//
//   node expected_diff.mjs A.jsonl B.jsonl [--ignore-messages]
//
// Prints each expression whose answer differs (its count, type or error in each file)
// and exits 1 if any does. With --ignore-messages two errors are equal whatever their
// text (LanceDB's messages change between versions).
import * as fs from "node:fs";

const [a, b, flag] = process.argv.slice(2);
const ignoreMessages = flag === "--ignore-messages";
const load = (p) => fs.readFileSync(p, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const A = load(a), B = load(b);
const key = (j) => j.kind + "\t" + j.expr;
const inB = new Map(B.map((j) => [key(j), j]));
const inA = new Set(A.map(key));
const short = (j) =>
  j.error ? "error: " + j.error.slice(0, 160)
  : j.kind === "filter" ? `${j.count} rows` + (j.count_error ? " (countRows fails)" : "")
  : j.type + (j.note ? ` (${j.note})` : "");
let n = 0;
for (const j of A) {
  const k = inB.get(key(j));
  if (!k) {
    console.log(`${j.kind} ${j.expr}: only in ${a}`);
    n++;
  } else if (!(ignoreMessages && j.error && k.error) && JSON.stringify(j) !== JSON.stringify(k)) {
    console.log(`${j.kind} ${j.expr}\n    ${a}: ${short(j)}\n    ${b}: ${short(k)}`);
    n++;
  }
}
for (const j of B)
  if (!inA.has(key(j))) {
    console.log(`${j.kind} ${j.expr}: only in ${b}`);
    n++;
  }
process.exit(n ? 1 : 0);
