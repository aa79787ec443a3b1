// Compare what the geneva CLI printed with what was expected.
//
//   node arrow_js_compare.mjs rows EXPECTED.jsonl ACTUAL.jsonl [FLOATS.json]
//       value by value: integers exactly, floats by round-trip equality (float16/32
//       columns, named in FLOATS.json, at their own precision), timestamps as instants
//   node arrow_js_compare.mjs schema EXPECTED.schema ACTUAL.txt
//       every "name: type[ not null]" line of EXPECTED.schema is a line of ACTUAL.txt
//       (leading spaces and a trailing " {metadata}" ignored), and every "meta KEY<TAB>VALUE" pair's key and value
//       appear in ACTUAL.txt
// Exit status 1 with the first differences on stderr.
import * as fs from "node:fs";
import { compareJsonl } from "./arrow_js_common.mjs";

const [mode, expPath, actPath, floatsPath] = process.argv.slice(2);
const exp = fs.readFileSync(expPath, "utf8");
const act = fs.readFileSync(actPath, "utf8");
let diffs = [];
if (mode === "rows") {
  const floats = floatsPath ? JSON.parse(fs.readFileSync(floatsPath, "utf8")) : {};
  diffs = compareJsonl(exp, act, floats);
} else if (mode === "schema") {
  // A field line may end in its metadata, " {key: value, ...}".
  const lines = act.split("\n").map((l) => l.trim());
  const hasLine = (want) => lines.some((l) => l === want || l.startsWith(want + " {"));
  for (const want of exp.split("\n").filter((l) => l !== "")) {
    if (want.startsWith("meta ")) {
      const [k, v] = want.slice(5).split("\t");
      if ((k && !act.includes(k)) || !act.includes(v)) diffs.push(`field metadata ${JSON.stringify(k)} = ${JSON.stringify(v)} not shown`);
    } else if (!hasLine(want)) {
      diffs.push(`schema line ${JSON.stringify(want)} not found`);
    }
  }
} else {
  console.error("usage: node arrow_js_compare.mjs rows|schema EXPECTED ACTUAL [FLOATS.json]");
  process.exit(2);
}
if (diffs.length) {
  console.error(`${actPath} differs from ${expPath}:`);
  for (const d of diffs.slice(0, 20)) console.error(`  ${d}`);
  process.exit(1);
}
