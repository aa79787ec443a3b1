#!/usr/bin/env bash
# The differential test of SQL expressions against live LanceDB (npm @lancedb/lancedb,
# the pinned versions of test_lancedb.sh): test_expr_diff --make-table writes the
# test table with our library; each LanceDB version computes its answers to every
# expression of tests/expr/filters.txt and values.txt (tests/expr/lancedb_expected.mjs);
# then test_expr_diff compares the expr module with each version's answers.
#   - Where the versions answer differently (not counting error texts), the
#     differences are printed as notes; the expr module must match each version only
#     where they agree, so the C harness runs against the last version (0.39.0, the
#     version tests/expr/expected.jsonl is generated with).
#   - The committed tests/expr/expected.jsonl must equal what that version answers now
#     (else: regenerate it, see tests/expr/README.md).
#
#   bash test_expr_lancedb.sh GENEVA_CLI SOURCE_DIR BUILD_DIR
#
# GNV_LANCEDB_VERSIONS="0.39.0" limits the versions; GNV_NPM_CACHE shares the npm
# installs between build dirs. Exits 77 (ctest: skipped) when node/npm are missing or
# the packages cannot be installed, unless GNV_INTEROP_REQUIRED=1.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lancedb_npm.sh"
interop_args "$@"
COMMITTED_VERSION=0.39.0 # the version tests/expr/expected.jsonl comes from
WORK=$BUILD/interop-expr
HARNESS=$BUILD/tests/test_expr_diff
EXPR=$SRC/tests/expr

interop_need_node
[ -x "$HARNESS" ] || { echo "FAIL: $HARNESS is not built"; exit 1; }
lancedb_npm_setup "$EXPR/lancedb_expected.mjs" "$EXPR/expected_diff.mjs"

rm -rf "$WORK"
mkdir -p "$WORK"
"$HARNESS" --make-table "$WORK/db" || { echo "FAIL: test_expr_diff --make-table"; exit 1; }

last=
for v in $VERSIONS; do
    d=$(lancedb_npm_dir "$NPMBASE" "$v")
    echo "== LanceDB $v answers"
    # LanceDB logs a warning for each regexp_match filter on stderr: keep it in a file.
    if ! node "$d/lancedb_expected.mjs" "$WORK/db" t "$EXPR/filters.txt" "$EXPR/values.txt" \
        "$WORK/expected-$v.jsonl" 2>"$WORK/lancedb-$v.log"; then
        echo "FAIL: lancedb_expected.mjs with LanceDB $v: $(tail -n 5 "$WORK/lancedb-$v.log")"
        failures=$((failures + 1))
        continue
    fi
    if [ -n "$last" ]; then
        echo "-- where LanceDB $last and $v differ (notes):"
        node "$d/expected_diff.mjs" "$WORK/expected-$last.jsonl" "$WORK/expected-$v.jsonl" \
            --ignore-messages | sed 's/^/   /' || true
    fi
    last=$v
    if [ "$v" = "$COMMITTED_VERSION" ]; then
        echo "-- tests/expr/expected.jsonl against LanceDB $v now"
        node "$d/expected_diff.mjs" "$EXPR/expected.jsonl" "$WORK/expected-$v.jsonl" ||
            { echo "FAIL: tests/expr/expected.jsonl is stale: regenerate it (tests/expr/README.md)"
              failures=$((failures + 1)); }
    fi
done
[ -n "$last" ] || { echo "FAIL: no LanceDB version answered"; exit 1; }

echo "== the expr module against LanceDB $last"
if ! GNV_TEST_DATA=$SRC/tests/data GNV_EXPR_EXPECTED=$WORK/expected-$last.jsonl "$HARNESS" \
    >"$WORK/harness.log" 2>&1; then
    grep -v '^\[' "$WORK/harness.log" | head -c 20000
    echo
    echo "FAIL: the expr module differs from LanceDB $last (all of it in $WORK/harness.log)"
    failures=$((failures + 1))
else
    grep "expressions checked" "$WORK/harness.log"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "the expr module agrees with LanceDB $last"
