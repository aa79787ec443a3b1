#!/bin/bash
# `cmake --install` into a scratch prefix, then build the example the way a user
# would, through pkg-config, and run it on the bundled sample.
set -eu
build=$1 src=$2
prefix=$(mktemp -d); trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib* | head -1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
test -x "$prefix/bin/geneva" || { echo "geneva CLI not installed"; exit 1; }
test -f "$prefix/include/geneva/geneva.h" || { echo "headers not installed"; exit 1; }
test -f "$libdir/libgeneva.a" || { echo "static library not installed"; exit 1; }
test -f "$libdir/cmake/geneva/genevaTargets.cmake" || { echo "CMake package not installed"; exit 1; }
cc "$src/examples/read_file.c" $(pkg-config --cflags --libs geneva) -o "$prefix/read_file"
LD_LIBRARY_PATH="$libdir" "$prefix/read_file" "$src/tests/data/sample/products.csv" > "$prefix/out.txt"
grep -q '"id"' "$prefix/out.txt" || { echo "example printed no rows:"; cat "$prefix/out.txt"; exit 1; }
cc "$src/examples/create_table.c" $(pkg-config --cflags --libs geneva) -o "$prefix/create_table"
(cd "$prefix" && cp "$src/tests/data/sample/products.csv" . && LD_LIBRARY_PATH="$libdir" ./create_table > create.txt)
grep -q "Chef's Knife" "$prefix/create.txt" || { echo "create_table printed:"; cat "$prefix/create.txt"; exit 1; }
test -d "$prefix/mydb/products.lance/_versions" || { echo "create_table made no table"; exit 1; }
"$prefix/bin/geneva" version
echo "ok: installed, built through pkg-config, ran"

# CMake users: find_package(geneva) and link the static library.
mkdir -p "$prefix/cmake-user"
cat > "$prefix/cmake-user/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(user C)
find_package(geneva REQUIRED)
add_executable(read_file "$src/examples/read_file.c")
target_link_libraries(read_file PRIVATE geneva::geneva_static)
CMAKE
cmake -S "$prefix/cmake-user" -B "$prefix/cmake-user/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-user/build" >/dev/null
"$prefix/cmake-user/build/read_file" "$src/tests/data/sample/products.csv" | grep -q '"id"'
echo "ok: find_package(geneva) works"
