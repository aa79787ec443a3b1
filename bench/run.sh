#!/usr/bin/env bash
# Build and run the import benchmark: bench/run.sh [BUILD_DIR]  (default build/).
# Environment: N rows (default 200000), REPS (default 3), TMPDIR for the data files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$here/.." -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
# The benchmark is part of the default build unless GNV_BUILD_BENCH=OFF.
cmake -S "$here/.." -B "$build" -DGNV_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_import
echo "== $(uname -m), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
"$build/bench/bench_import" --check
"$build/bench/bench_import"
