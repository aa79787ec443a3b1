# Shared by the CLI test scripts: sourced after setting CLI_TEST_NAME, with the
# script's arguments <path-to-geneva> <source-dir> <build-dir>. Defines GENEVA, SRC,
# BUILD, GOLDEN, SAMPLE and TMP, and the checking functions; each script defines its
# own expect_err (what a command's error line must look like differs between them).
set -u

GENEVA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
BUILD=$(cd "$3" && pwd)
GOLDEN=$SRC/tests/cli/golden
SAMPLE=$SRC/tests/data/sample
TMP=$(mktemp -d "$BUILD/cli-${CLI_TEST_NAME:-test}.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

failures=0
checks=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run ARGS...: runs geneva; sets RC and leaves stdout/stderr in $TMP/out, $TMP/err.
run() {
    checks=$((checks + 1))
    "$GENEVA" "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

show() {
    echo "  command: geneva $*"
    echo "  exit code: $RC"
    echo "  --- stdout"; head -n 20 "$TMP/out" | sed 's/^/  /'
    echo "  --- stderr"; head -n 20 "$TMP/err" | sed 's/^/  /'
}

# expect RC ARGS...: run and check the exit code.
expect() {
    local want=$1
    shift
    run "$@"
    if [ "$RC" != "$want" ]; then
        fail "exit code $RC, expected $want"
        show "$@"
        return 1
    fi
    return 0
}

# same_text FILE EXPECTED-FILE WHAT: compare two files, showing a diff.
same_text() {
    if ! diff -u "$2" "$1" >"$TMP/diff"; then
        fail "$3 (diff: expected, got):"
        cat "$TMP/diff"
    fi
}

# need_demo: DEMO = the demo UDF plugin the build made; skip the test without it.
need_demo() {
    DEMO=$BUILD/examples/udfs/libdemo_udfs.so
    if [ ! -f "$DEMO" ]; then
        echo "SKIP: the demo UDF plugin is not built ($DEMO)"
        exit 77
    fi
}

# expect_err RC TEXT ARGS...: the exit code, a piece of the error message, the
# "geneva <command>: " (or "geneva: ") prefix, and for usage errors (2) the hint to --help.
expect_err() {
    local want=$1 text=$2
    shift 2
    expect "$want" "$@" || return 1
    if ! grep -qF -- "$text" "$TMP/err"; then
        fail "stderr lacks '$text'"
        show "$@"
        return 1
    fi
    if ! grep -q -e "^geneva $1: " -e "^geneva: " "$TMP/err"; then
        fail "stderr does not start with 'geneva $1: '"
        show "$@"
    fi
    if [ "$want" = 2 ] && ! grep -qF -- "Try 'geneva" "$TMP/err"; then
        fail "usage error without a hint to --help"
        show "$@"
    fi
}

# expect_out TEXT ARGS...: exit 0 and stdout equal to TEXT (plus a newline).
expect_out() {
    local text=$1
    shift
    expect 0 "$@" || return 1
    printf '%s\n' "$text" >"$TMP/want"
    same_text "$TMP/out" "$TMP/want" "output of 'geneva $*'"
}

# expect_msg TEXT ARGS...: exit 0 and stderr equal to TEXT.
expect_msg() {
    local text=$1
    shift
    expect 0 "$@" || return 1
    printf '%s\n' "$text" >"$TMP/want"
    same_text "$TMP/err" "$TMP/want" "standard error of 'geneva $*'"
}

# golden NAME ARGS...: exit 0 and stdout equal to golden/NAME.
golden() {
    local name=$1
    shift
    expect 0 "$@" || return 1
    if [ "${GNV_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$TMP/out" "$GOLDEN/$name"
        echo "updated $GOLDEN/$name"
        return 0
    fi
    same_text "$TMP/out" "$GOLDEN/$name" "output of 'geneva $*' differs from golden/$name"
}

# same_output ARGS1 -- ARGS2: both succeed with the same stdout.
same_output() {
    local a=() b=()
    while [ "$1" != "--" ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    expect 0 "${a[@]}" || return 1
    cp "$TMP/out" "$TMP/out.a"
    expect 0 "${b[@]}" || return 1
    if ! diff -u "$TMP/out.a" "$TMP/out" >"$TMP/diff"; then
        fail "'geneva ${a[*]}' and 'geneva ${b[*]}' differ:"
        cat "$TMP/diff"
    fi
}

