#!/usr/bin/env bash
# Build and run the benchmarks: bench/run.sh [BUILD_DIR]  (default build/).
# Environment: N rows, REPS (default 3), TMPDIR for the data. bench_import uses
# N (default 200000); bench_table and bench_read use TABLE_N (default: N, else 1000000).
# bench_table compares with LanceDB when node and npm are present: @lancedb/lancedb and
# apache-arrow are installed once, pinned, into BUILD_DIR/npm-lancedb-bench.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$here/.." -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
# The benchmarks are part of the default build unless GNV_BUILD_BENCH=OFF.
cmake -S "$here/.." -B "$build" -DGNV_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_import bench_table bench_read bench_expr bench_commit \
    bench_maint bench_backfill
echo "== $(uname -m), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
"$build/bench/bench_import" --check
"$build/bench/bench_import"

# LanceDB for the comparison, installed once (pinned versions, as the peer benchmark).
npm_dir="$build/npm-lancedb-bench"
lancedb_cmd=
lancedb_read_cmd=
lancedb_expr_cmd=
lancedb_commit_cmd=
lancedb_maint_cmd=
lancedb_backfill_cmd=
if command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d "$npm_dir/node_modules/@lancedb/lancedb" ] || [ ! -d "$npm_dir/node_modules/apache-arrow" ]; then
        mkdir -p "$npm_dir"
        [ -f "$npm_dir/package.json" ] ||
            echo '{"name": "gnv-lancedb-bench", "private": true}' >"$npm_dir/package.json"
        (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error \
            @lancedb/lancedb@0.37.1 apache-arrow@18.1.0) ||
            echo "note: npm install failed; bench_table runs without LanceDB"
    fi
    if [ -d "$npm_dir/node_modules/@lancedb/lancedb" ]; then
        lancedb_cmd="node '$here/lancedb_table.mjs'"
        lancedb_read_cmd="node '$here/lancedb_read.mjs'"
        lancedb_expr_cmd="node '$here/lancedb_expr.mjs'"
        lancedb_commit_cmd="node '$here/lancedb_commit.mjs'"
        lancedb_maint_cmd="node '$here/lancedb_maint.mjs'"
        lancedb_backfill_cmd="node '$here/lancedb_backfill.mjs'"
    fi
else
    echo "note: node/npm not found; bench_table runs without LanceDB"
fi
N=${TABLE_N:-${N:-1000000}} LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_cmd" "$build/bench/bench_table"
N=${TABLE_N:-${N:-1000000}} LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_read_cmd" "$build/bench/bench_read"
N=${TABLE_N:-${N:-1000000}} LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_expr_cmd" "$build/bench/bench_expr"
LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_commit_cmd" "$build/bench/bench_commit"
N=${TABLE_N:-${N:-1000000}} LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_maint_cmd" "$build/bench/bench_maint"
N=${TABLE_N:-${N:-1000000}} LANCEDB_NPM_DIR=$(cd "$npm_dir" 2>/dev/null && pwd || echo "$npm_dir") \
    LANCEDB_CMD="$lancedb_backfill_cmd" "$build/bench/bench_backfill"
