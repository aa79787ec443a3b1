#!/usr/bin/env bash
# Interop with Apache Arrow JS (npm apache-arrow, pinned), both directions, every type:
#   (a) Arrow JS writes IPC files (file and stream format, a dictionary-encoded column)
#       and the rows as JSONL; `geneva inspect --format jsonl` must print the same rows
#       and `geneva inspect --schema-only` the same types and field metadata. The files
#       also go through `geneva convert` (file and stream format) and back into Arrow JS.
#   (b) gen_all_types (our writer) writes IPC files, uncompressed, LZ4 and ZSTD, file and
#       stream format; Arrow JS must read the uncompressed ones to the expected rows.
#       Arrow JS 18 cannot read compressed bodies ("Record batch compression not
#       implemented") nor write them, and has no LargeList type, so the compressed files
#       and the large_list file are checked through our own reader (geneva inspect)
#       against the same expected rows instead.
#
#   bash test_arrow_js.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_TEST_CLI=PATH runs another geneva binary than the one ctest passes.
# Exits 77 (ctest: skipped) when node/npm are missing or the package cannot be
# installed, unless GNV_INTEROP_REQUIRED=1, which turns those into failures.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
NPMDIR=$NPMBASE/npm-arrow
WORK=$BUILD/interop-arrow-js
GEN=$BUILD/gen_all_types

interop_need_node
[ -x "$GEN" ] || { echo "FAIL: $GEN is not built"; exit 1; }

# Install apache-arrow once per build dir; reuse it while the version matches.
installed() {
    node -e 'const p = require(process.argv[1]); process.exit(p.version === process.argv[2] ? 0 : 1)' \
        "$NPMDIR/node_modules/apache-arrow/package.json" "$ARROW_JS_VERSION" 2>/dev/null
}
if ! installed; then
    mkdir -p "$NPMDIR"
    echo '{"name": "geneva-interop", "private": true}' >"$NPMDIR/package.json"
    echo "installing apache-arrow@$ARROW_JS_VERSION into $NPMDIR"
    (cd "$NPMDIR" && timeout 600 npm install --no-audit --no-fund \
        "apache-arrow@$ARROW_JS_VERSION" >npm-install.log 2>&1) ||
        { tail -5 "$NPMDIR/npm-install.log"; skip "npm could not install apache-arrow@$ARROW_JS_VERSION"; }
    installed || skip "apache-arrow@$ARROW_JS_VERSION is not usable after npm install"
fi
# The scripts import "apache-arrow", which node resolves from the script's directory.
cp "$SRC"/tests/interop/arrow_js_*.mjs "$NPMDIR/"

rm -rf "$WORK"
mkdir -p "$WORK/js" "$WORK/gen" "$WORK/out"

# check_rows FILE EXPECTED.jsonl FLOATS.json: geneva inspect prints the expected rows.
check_rows() {
    local f=$1 exp=$2 floats=$3 out
    out=$WORK/out/$(basename "$f").jsonl
    checks=$((checks + 1))
    if ! "$CLI" inspect "$f" --format jsonl >"$out" 2>"$out.err"; then
        fail "geneva inspect $f --format jsonl exited with an error: $(head -3 "$out.err")"
        return
    fi
    node "$NPMDIR/arrow_js_compare.mjs" rows "$exp" "$out" "$floats" ||
        fail "rows of $(basename "$f") as printed by geneva differ from $(basename "$exp")"
}

# check_schema FILE EXPECTED.schema: types, nullability and field metadata are shown.
check_schema() {
    local f=$1 exp=$2 out
    out=$WORK/out/$(basename "$f").schema.txt
    checks=$((checks + 1))
    if ! "$CLI" inspect "$f" --schema-only >"$out" 2>"$out.err"; then
        fail "geneva inspect $f --schema-only exited with an error: $(head -3 "$out.err")"
        return
    fi
    node "$NPMDIR/arrow_js_compare.mjs" schema "$exp" "$out" ||
        fail "schema of $(basename "$f") as printed by geneva differs from $(basename "$exp")"
}

# js_reads FILE EXPECTED-BASE: Arrow JS reads FILE to the expected rows and schema.
js_reads() {
    checks=$((checks + 1))
    node "$NPMDIR/arrow_js_read.mjs" "$1" "$2.jsonl" "$2.schema" ||
        fail "Arrow JS does not read $(basename "$1") as expected"
}

echo "== (a) Arrow JS writes, geneva reads"
node "$NPMDIR/arrow_js_write.mjs" "$WORK/js" || { echo "FAIL: arrow_js_write.mjs failed"; exit 1; }
for name in js_all js_dict; do
    for ext in arrow arrows; do
        check_rows "$WORK/js/$name.$ext" "$WORK/js/$name.jsonl" "$WORK/js/$name.floats.json"
        check_schema "$WORK/js/$name.$ext" "$WORK/js/$name.schema"
    done
    # Round trip: Arrow JS -> geneva convert (file and stream format) -> Arrow JS.
    for ext in arrow arrows; do
        opt=
        [ "$ext" = arrows ] && opt=--stream
        checks=$((checks + 1))
        if "$CLI" convert "$WORK/js/$name.arrow" "$WORK/out/$name.converted.$ext" $opt \
            >"$WORK/out/$name.convert.log" 2>&1; then
            js_reads "$WORK/out/$name.converted.$ext" "$WORK/js/$name"
        else
            fail "geneva convert $name.arrow $opt failed: $(head -3 "$WORK/out/$name.convert.log")"
        fi
    done
done

echo "== (b) geneva writes, Arrow JS reads (uncompressed) and geneva reads (compressed)"
"$GEN" "$WORK/gen" || { echo "FAIL: gen_all_types failed"; exit 1; }
G=$WORK/gen
js_reads "$G/geneva_all.arrow" "$G/geneva_all"
js_reads "$G/geneva_all.arrows" "$G/geneva_all"
for name in geneva_all geneva_large; do
    for suffix in arrow arrows lz4.arrow lz4.arrows zstd.arrow zstd.arrows; do
        check_rows "$G/$name.$suffix" "$G/$name.jsonl" "$G/$name.floats.json"
    done
    check_schema "$G/$name.zstd.arrow" "$G/$name.schema"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed (outputs in $WORK/out)"
    exit 1
fi
echo "all $checks interop checks passed"
