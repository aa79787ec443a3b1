#!/bin/bash
# Install what building and testing need on Debian 12. Idempotent: apt-get runs only
# when a package is missing. Node.js and npm (for the interop tests) come from Debian
# when they are not already on PATH.
set -eu
pkgs=(build-essential cmake pkg-config git libcmocka-dev libjansson-dev libxxhash-dev
      libzstd-dev liblz4-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler clang clang-format
      libclang-rt-14-dev)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps.sh: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}"
fi
