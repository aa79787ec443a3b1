# Shared by the interop scripts that run LanceDB (sourced, not run): installs a pinned
# @lancedb/lancedb with its apache-arrow peer into NPMBASE/npm-lancedb-VERSION once.
#
#   lancedb_npm_install NPMBASE VERSION ARROW_JS_VERSION
#       returns 0 when installed (or already there), 1 with the reason on stdout.
#   lancedb_npm_dir NPMBASE VERSION: the directory (scripts copied there can import
#       the packages, which node resolves from the script's directory).

lancedb_npm_dir() {
    echo "$1/npm-lancedb-$2"
}

lancedb_npm_installed() { # DIR VERSION ARROW_JS_VERSION
    node -e 'const [d, v, a] = process.argv.slice(1);
        const ver = (p) => require(d + "/node_modules/" + p + "/package.json").version;
        process.exit(ver("@lancedb/lancedb") === v && ver("apache-arrow") === a ? 0 : 1)' \
        "$1" "$2" "$3" 2>/dev/null
}

lancedb_npm_install() { # NPMBASE VERSION ARROW_JS_VERSION
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
