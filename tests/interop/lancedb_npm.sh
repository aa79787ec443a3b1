# Shared by the interop scripts (sourced, not run; the scripts source it from their own
# directory): their arguments and settings, the skip convention, node and npm checks,
# the pass/fail bookkeeping, and installs of a pinned @lancedb/lancedb with its
# apache-arrow peer into NPMBASE/npm-lancedb-VERSION once.
#
#   interop_args GENEVA_CLI SOURCE_DIR BUILD_DIR: sets CLI (GNV_TEST_CLI=PATH runs
#       another geneva binary), SRC and BUILD (absolute), ARROW_JS_VERSION, VERSIONS
#       (the LanceDB versions; GNV_LANCEDB_VERSIONS="0.39.0" limits them) and NPMBASE
#       (where the packages are installed; GNV_NPM_CACHE=DIR shares them between build
#       directories).
#   skip REASON...: exits 77 (ctest: skipped), or 1 when GNV_INTEROP_REQUIRED=1, which
#       turns a missing node/npm or a failed install into a failure.
#   interop_need_node: skips unless node (18 or newer) and npm are installed.
#   lancedb_npm_setup FILE...: installs every version of VERSIONS (skips when one cannot
#       be installed) and copies FILEs next to its packages.
#   failures, checks: counters from 0; fail MESSAGE counts a failure and prints it;
#       run WHAT CMD... counts a check that CMD succeeds (its output in
#       $WORK/out/run.N.log, shown on failure); same VALUE EXPECTED WHAT counts a check
#       that a value is the expected one; geneva ARGS... runs $CLI. Scripts may define
#       their own after sourcing this file.
#
#   lancedb_npm_install NPMBASE VERSION ARROW_JS_VERSION
#       returns 0 when installed (or already there), 1 with the reason on stdout.
#   lancedb_npm_dir NPMBASE VERSION: the directory (scripts copied there can import
#       the packages, which node resolves from the script's directory).
#   lancedb_npm_copy DIR FILE...: copy files into DIR atomically (ctest runs interop
#       scripts in parallel: a node process must never read a half-copied script).
#
# Installs take a lock on NPMBASE, so parallel scripts never see a half-installed
# package.

interop_args() { # GENEVA_CLI SOURCE_DIR BUILD_DIR
    CLI=${GNV_TEST_CLI:-$1}
    SRC=$(cd "$2" && pwd)
    BUILD=$(cd "$3" && pwd)
    ARROW_JS_VERSION=18.1.0
    VERSIONS=${GNV_LANCEDB_VERSIONS:-"0.37.1 0.39.0"}
    NPMBASE=${GNV_NPM_CACHE:-$BUILD}
}

skip() {
    if [ "${GNV_INTEROP_REQUIRED:-0}" = 1 ]; then
        echo "FAIL: $* (GNV_INTEROP_REQUIRED=1)"
        exit 1
    fi
    echo "SKIPPED: $*"
    exit 77
}

interop_need_node() {
    command -v node >/dev/null 2>&1 || skip "node is not installed"
    command -v npm >/dev/null 2>&1 || skip "npm is not installed"
    node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' ||
        skip "node $(node --version) is older than 18"
}

lancedb_npm_setup() { # FILE...
    local v msg d
    for v in $VERSIONS; do
        msg=$(lancedb_npm_install "$NPMBASE" "$v" "$ARROW_JS_VERSION") || skip "$msg"
        [ -z "$msg" ] || echo "$msg"
        d=$(lancedb_npm_dir "$NPMBASE" "$v")
        lancedb_npm_copy "$d" "$@" || { echo "FAIL: cannot copy the scripts into $d"; exit 1; }
    done
}

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
run() { # WHAT CMD...
    local what=$1 log
    shift
    checks=$((checks + 1))
    log=$WORK/out/run.$checks.log
    if ! "$@" >"$log" 2>&1; then
        fail "$what: $(head -c 2000 "$log")"
        return 1
    fi
}
same() { # VALUE EXPECTED WHAT
    checks=$((checks + 1))
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}
geneva() {
    "$CLI" "$@"
}

lancedb_npm_dir() {
    echo "$1/npm-lancedb-$2"
}

lancedb_npm_installed() { # DIR VERSION ARROW_JS_VERSION
    node -e 'const [d, v, a] = process.argv.slice(1);
        const ver = (p) => require(d + "/node_modules/" + p + "/package.json").version;
        process.exit(ver("@lancedb/lancedb") === v && ver("apache-arrow") === a ? 0 : 1)' \
        "$1" "$2" "$3" 2>/dev/null
}

lancedb_npm_copy() { # DIR FILE...
    local dir=$1 f
    shift
    for f in "$@"; do
        cp "$f" "$dir/.$(basename "$f").$$" && mv -f "$dir/.$(basename "$f").$$" "$dir/$(basename "$f")" ||
            return 1
    done
}

lancedb_npm_install() { # NPMBASE VERSION ARROW_JS_VERSION
    mkdir -p "$1"
    (
        flock 9
        lancedb_npm_install_locked "$@"
    ) 9>"$1/.lancedb-npm.lock"
}

lancedb_npm_install_locked() {
    local d
    d=$(lancedb_npm_dir "$1" "$2")
    lancedb_npm_installed "$d" "$2" "$3" && return 0
    mkdir -p "$d"
    echo '{"name": "geneva-interop-lancedb", "private": true}' >"$d/package.json"
    echo "installing @lancedb/lancedb@$2 and apache-arrow@$3 into $d"
    if ! (cd "$d" && timeout 600 npm install --no-audit --no-fund "@lancedb/lancedb@$2" \
        "apache-arrow@$3" >npm-install.log 2>&1); then
        tail -n 5 "$d/npm-install.log"
        echo "npm could not install @lancedb/lancedb@$2"
        return 1
    fi
    lancedb_npm_installed "$d" "$2" "$3" ||
        { echo "@lancedb/lancedb@$2 is not usable after npm install"; return 1; }
}
