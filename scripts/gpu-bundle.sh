#!/usr/bin/env bash
# Builds the GPU check bundle (issue 13): everything scripts/gpu-check.sh
# needs on a GPU machine that has a driver, Python with PyTorch and cuDNN 9,
# but no LLVM, no MLIR and no network. The bundle is an ignored folder that
# travels with the working tree (carry it: `carry: ["target/gpu-bundle"]`):
#
#   bin/chlast-run.xz    chlast-run, release, stripped, xz-compressed
#   manifest.json        the models: the tracked MLIR file (path relative to
#                        the bundle), inputs (.npy or a seed), references
#   refs/NAME/*.npy      CPU-runner outputs of the small example models
#   gpu-check.sh, gpu_check.py
#   pytorch/generate.py    the corpus generator (PyTorch modules, same weights)
#   pytorch/wheels/        diffusers (pure Python; the GPU machine lacks it)
#
# The variants (imported, channels-last, per-conv) are made on the GPU
# machine by chlast-run --passes, so the models travel once.
#
#   scripts/gpu-bundle.sh                          # -> target/gpu-bundle
#   scripts/gpu-bundle.sh --debug --out DIR --models "resnet_chain2d resnet50"
#                                                  # self-test: debug build
#   --chlast-run PATH uses that binary instead of building one; --no-wheels
#   skips the diffusers download (no PyTorch VAE columns).
# Then, here: bash target/gpu-bundle/gpu-check.sh --cpu --out /tmp/out
# On the GPU machine: bash target/gpu-bundle/gpu-check.sh (writes to $OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile=release
out=target/gpu-bundle
only=""
run=""
wheels=yes
limit_mb=60
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug; shift ;;
    --out) out=$2; shift 2 ;;
    --models) only=$2; shift 2 ;;
    --chlast-run) run=$2; shift 2 ;;
    --no-wheels) wheels=no; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-bundle.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [ -z "$run" ]; then
  if [ "$profile" = release ]; then
    cargo build --release --bin chlast-run >&2
  else
    cargo build --bin chlast-run >&2
  fi
  run=${CARGO_TARGET_DIR:-target}/$profile/chlast-run
fi

rm -rf "$out.tmp"
mkdir -p "$out.tmp/bin" "$out.tmp/refs" "$out.tmp/pytorch/wheels"
strip -o "$out.tmp/bin/chlast-run" "$run"
if [ "$profile" = release ]; then
  xz -T0 -6 "$out.tmp/bin/chlast-run"   # the self-test (--debug) skips this
fi
cp scripts/gpu-check.sh scripts/gpu_check.py "$out.tmp/"
cp models/real/generate.py "$out.tmp/pytorch/"
if [ "$wheels" = yes ] && ! python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --platform any -d "$out.tmp/pytorch/wheels" diffusers==0.35.1 >&2; then
  echo "gpu-bundle.sh: could not download diffusers (no PyPI?): the VAE decoders get no PyTorch columns" >&2
fi

wanted() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
abs_out=$(cd "$out.tmp" && pwd)
rel() { python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$root/$1" "$abs_out"; }
entries=()
# Example models (small: seeded inputs, references from the CPU runner).
for f in examples/models/*.mlir examples/imported/*.mlir; do
  name=$(basename "$f" .mlir); name=${name%.torch-mlir}
  wanted "$name" || continue
  mkdir -p "$out.tmp/refs/$name"
  "$run" "$f" --seed 0 --save-outputs "$out.tmp/refs/$name" > /dev/null
  refs=$(cd "$out.tmp" && ls refs/"$name"/result*.npy | sort -V | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')
  entries+=("{\"name\": \"$name\", \"file\": \"$(rel "$f")\", \"seed\": 0, \"references\": $refs}")
done
# The same at benchmark size: no reference here (too slow on the CPU); the
# GPU check compares the rewrites with the imported program's GPU output.
for f in examples/models/large/*.mlir; do
  name=large_$(basename "$f" .mlir)
  wanted "$name" || continue
  entries+=("{\"name\": \"$name\", \"file\": \"$(rel "$f")\", \"seed\": 0, \"references\": []}")
done
# The real-model corpus: PyTorch's inputs and outputs, PyTorch modules.
for f in models/real/*.mlirbc; do
  name=$(basename "$f" .mlirbc)
  wanted "$name" || continue
  entries+=("{\"name\": \"$name\", \"file\": \"$(rel "$f")\", \"inputs\": [\"$(rel "models/real/$name.input.npy")\"], \"references\": [\"$(rel "models/real/$name.torch.npy")\"], \"torch\": true}")
done
if [ ${#entries[@]} -eq 0 ]; then
  echo "gpu-bundle.sh: no model matches --models '$only'" >&2
  exit 1
fi
{
  echo "{\"version\": \"$(git describe --always --dirty 2>/dev/null || echo unknown)\", \"profile\": \"$profile\", \"models\": ["
  printf '%s,\n' "${entries[@]}" | sed '$ s/,$//'
  echo "]}"
} > "$out.tmp/manifest.json"
python3 -m json.tool "$out.tmp/manifest.json" > /dev/null

rm -rf "$out"
mv "$out.tmp" "$out"
size_kb=$(du -sk "$out" | cut -f1)
echo "gpu-bundle.sh: $out: ${#entries[@]} models, $((size_kb / 1024)) MB" >&2
if [ "$profile" = release ] && [ "$size_kb" -gt $((limit_mb * 1024)) ]; then
  echo "gpu-bundle.sh: the bundle is over ${limit_mb} MB: it would not travel with the working tree" >&2
  exit 1
fi
