#!/usr/bin/env bash
# The GPU check (issue 13): run on the GPU machine from the bundle that
# scripts/gpu-bundle.sh makes (target/gpu-bundle/, carried there). Writes
# gpu-check.md and gpu-check.json to OUT ($OUT on the device machine).
#
#   bash target/gpu-bundle/gpu-check.sh                   # on the GPU machine
#   bash target/gpu-bundle/gpu-check.sh --cpu --out DIR   # self-test here
#
# Options go to gpu_check.py (--budget S, --models A B, --iterations N,
# --no-torch, --no-compile). Needs python3 (with PyTorch for its columns).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ! -f "$here/manifest.json" ]; then
  echo "gpu-check.sh: $here has no manifest.json: run the copy inside the bundle (scripts/gpu-bundle.sh makes it)" >&2
  exit 1
fi
exec python3 "$here/gpu_check.py" --bundle "$here" --out "$out" "${args[@]}"
