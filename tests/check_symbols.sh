#!/bin/bash
# The shared library exports only gnv_* functions and data.
set -eu
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^gnv_' || true)
count=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -c '^gnv_' || true)
if [ -n "$bad" ]; then
    echo "symbols exported without the gnv_ prefix:"; echo "$bad"; exit 1
fi
if [ "$count" -lt 5 ]; then
    echo "expected the public gnv_ API to be exported, found $count symbols"; exit 1
fi
if nm -D --defined-only "$lib" | awk '{print $3}' | grep -q '^gnv__'; then
    echo "internal gnv__ symbols are exported"; exit 1
fi
echo "ok: $count gnv_ symbols, nothing else"
