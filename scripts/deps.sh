#!/usr/bin/env bash
# Installs what chlast needs to build and test, only what is missing:
# LLVM/MLIR 22 (Debian packages), lit/FileCheck (llvm-22-tools), cmake,
# ninja, libclang (for mlir-sys's bindgen), rustfmt and clippy.
set -euo pipefail

packages=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools libpolly-22-dev
          libzstd-dev libz3-dev libxml2-dev zlib1g-dev cmake ninja-build libclang-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
echo "deps: ok (LLVM/MLIR $(/usr/lib/llvm-22/bin/llvm-config --version))"
