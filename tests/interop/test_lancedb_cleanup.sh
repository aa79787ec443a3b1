#!/usr/bin/env bash
# Interop of cleanup with LanceDB (npm @lancedb/lancedb 0.37.1 and 0.39.0):
#   1. geneva makes four versions of a table (create, import, import, overwrite), tags
#      version 2 and removes old versions with `geneva cleanup --older-than 0`; LanceDB
#      then lists exactly versions 2 and 4 and reads both whole.
#   2. LanceDB makes three versions of a table; `geneva cleanup --older-than 0` leaves
#      only the latest, which LanceDB reads whole.
#
#   bash test_lancedb_cleanup.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# Same conventions as test_lancedb.sh: GNV_NPM_CACHE shares installs, exit 77 (skip)
# without node/npm unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
WORK=$BUILD/interop-lancedb-cleanup

interop_need_node

rm -rf "$WORK"
mkdir -p "$WORK"
SAMPLE=$SRC/tests/data/sample

# The LanceDB side, written next to the packages so node resolves them.
cat >"$WORK/check_cleanup.mjs" <<'JS'
import * as lancedb from "@lancedb/lancedb";
const [mode, dbDir, table, ...want] = process.argv.slice(2);
const db = await lancedb.connect(dbDir);
const tbl = await db.openTable(table);
if (mode === "make") {            // three versions of rows {id, name}
  await tbl.add([{ id: 4, name: "d" }]);
  await tbl.add([{ id: 5, name: "e" }]);
  process.exit(0);
}
// check: want = "versions" list (comma-separated), then "version:rows" pairs
const versions = (await tbl.listVersions()).map((v) => v.version).join(",");
if (versions !== want[0]) throw new Error(`versions ${versions}, expected ${want[0]}`);
for (const pair of want.slice(1)) {
  const [v, rows] = pair.split(":").map(Number);
  await tbl.checkout(v);
  const got = await tbl.query().toArrow();
  if (got.numRows !== rows) throw new Error(`version ${v}: ${got.numRows} rows, expected ${rows}`);
  // Every value is decoded (a missing data file would fail here).
  for (const f of got.schema.fields) got.getChild(f.name).toArray();
}
await tbl.checkoutLatest();
console.log(`ok ${table}: versions ${versions}`);
JS

lancedb_npm_setup "$WORK/check_cleanup.mjs"

for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    CHECK="node $d/check_cleanup.mjs"
    DB=$WORK/db-$v
    echo "== LanceDB $v"

    # 1. Ours, cleaned by us, read by LanceDB.
    n=$(($(wc -l <"$SAMPLE/products.csv") - 1))
    "$CLI" create "$DB" ours --from "$SAMPLE/products.csv" -q &&
        "$CLI" import "$DB" ours "$SAMPLE/products.csv" -q &&
        "$CLI" tag "$DB" ours create two &&
        "$CLI" import "$DB" ours "$SAMPLE/products.csv" -q &&
        "$CLI" create "$DB" ours --from "$SAMPLE/products.csv" --mode overwrite -q ||
        { fail "$v: geneva could not make the table"; continue; }
    "$CLI" cleanup "$DB" ours --older-than 0 || fail "$v: geneva cleanup failed"
    $CHECK check "$DB" ours "2,4" "2:$((2 * n))" "4:$n" || fail "$v: LanceDB after our cleanup"

    # 2. LanceDB's, cleaned by us, read by LanceDB.
    printf 'id,name\n1,a\n2,b\n3,c\n' >"$WORK/abc.csv"
    "$CLI" create "$DB" theirs --from "$WORK/abc.csv" -q --storage-version 2.1 ||
        { fail "$v: create"; continue; }
    $CHECK make "$DB" theirs || { fail "$v: LanceDB could not append"; continue; }
    "$CLI" cleanup "$DB" theirs --older-than 0 || fail "$v: geneva cleanup of LanceDB's versions"
    $CHECK check "$DB" theirs "3" "3:5" || fail "$v: LanceDB after our cleanup of its versions"
    [ "$(ls "$DB/theirs.lance/_versions" | grep -c "\.manifest$")" = 1 ] || fail "$v: old manifests remain"
done

[ "$failures" = 0 ] && echo "PASS" || echo "$failures failure(s)"
[ "$failures" = 0 ]
