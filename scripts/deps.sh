#!/usr/bin/env bash
# Installs what chlast needs to build and test, only what is missing:
# LLVM/MLIR 22 (Debian packages), lit/FileCheck (llvm-22-tools), cmake,
# ninja, libclang (for mlir-sys's bindgen), oneDNN 2.x (libdnnl2: the CPU
# target's convolutions, loaded at run time), LLVM's OpenMP runtime
# (libomp-22-dev: the CPU target's threads, loaded at run time), rustfmt and
# clippy, and the
# CUDA verification tools from PyPI into $CHLAST_CUDA_TOOLS (default
# /opt/chlast-cuda): ptxas (nvidia-cuda-nvcc-cu12) and libcudnn.so.9
# (nvidia-cudnn-cu12, ~700 MB), used to check the CUDA lowering without a GPU;
# and the ONNX import tools (iree-base-compiler, onnx) in a venv at
# $CHLAST_IMPORT_VENV (default /opt/chlast-import), via scripts/import-onnx.sh.
set -euo pipefail

packages=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools libpolly-22-dev
          libzstd-dev libz3-dev libxml2-dev zlib1g-dev cmake ninja-build libclang-dev
          libdnnl2 libomp-22-dev)
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
cuda_tools="${CHLAST_CUDA_TOOLS:-/opt/chlast-cuda}"
cuda_wheels=(nvidia-cuda-nvcc-cu12==12.9.86 nvidia-cudnn-cu12==9.28.0.42)
if [ ! -x "$cuda_tools/nvidia/cuda_nvcc/bin/ptxas" ] || [ ! -f "$cuda_tools/nvidia/cudnn/lib/libcudnn.so.9" ]; then
  echo "deps: installing ${cuda_wheels[*]} into $cuda_tools"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --target "$cuda_tools" "${cuda_wheels[@]}"
fi
# The ONNX import route (scripts/import-onnx.sh): iree-base-compiler and onnx
# from PyPI into a venv at $CHLAST_IMPORT_VENV (default /opt/chlast-import,
# ~610 MB); the script installs it when missing and is quiet otherwise.
"$(dirname "${BASH_SOURCE[0]}")/import-onnx.sh" --install
import_venv="${CHLAST_IMPORT_VENV:-/opt/chlast-import}"
echo "deps: ok (LLVM/MLIR $(/usr/lib/llvm-22/bin/llvm-config --version); $("$cuda_tools/nvidia/cuda_nvcc/bin/ptxas" --version | tail -1); $(cat "$import_venv/.chlast-import-pins" | cut -d' ' -f1-2))"
