# Shared by the interop scripts that run LanceDB (sourced, not run): installs a pinned
# @lancedb/lancedb with its apache-arrow peer into NPMBASE/npm-lancedb-VERSION once.
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
