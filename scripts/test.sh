#!/bin/bash
# Install dependencies, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
make build
cd build && ctest --output-on-failure -j "$(nproc)"
