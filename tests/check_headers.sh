#!/bin/bash
# Each public header compiles on its own as C99 -pedantic and as C++.
set -eu
inc=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cxx=$(command -v g++ || command -v c++ || true)
for h in $(cd "$inc" && find geneva -name '*.h' | sort); do
    printf '#include <%s>\nint gnv_header_check_%s;\n' "$h" "$(echo "$h" | tr '/.' '__')" > "$tmp/t.c"
    gcc -std=c99 -pedantic -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o" \
        || { echo "C99 compile failed: $h"; exit 1; }
    if [ -n "$cxx" ]; then
        cp "$tmp/t.c" "$tmp/t.cpp"
        "$cxx" -std=c++11 -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o" \
            || { echo "C++ compile failed: $h"; exit 1; }
    fi
    echo "ok: $h"
done
