#!/usr/bin/env bash
# CUDA lowering table: for each example model and the shared fixture, what
# `chlast-lower-to-cuda` produces (its stats= JSON) for
#   (a) the program as imported (convs run by cuDNN in NCHW; cuDNN's hidden
#       NCHW<->NHWC conversions modelled as input + filter + output bytes),
#   (b) the seed's approach: --conv-channels-last=strategy=per-conv,
#   (c) chlast: --conv-channels-last (min-cut placement),
# plus the time chlast-opt takes for (c) (whole process, best of 3).
#
#   scripts/cuda-table.sh            # CHLAST_OPT=path to use a given binary
#
# Columns: kernel launches, cuDNN calls (channels-first ones; ones with a
# fused ReLU/residual epilogue), standalone layout-conversion kernels
# (interior ones) and their bytes read+written, modelled hidden bytes.
# Needs no GPU.
set -euo pipefail

cd "$(dirname "$0")/.."
work=${TABLE_DIR:-target/cuda-table}
mkdir -p "$work"
if [ -n "${CHLAST_OPT:-}" ]; then
  opt=$CHLAST_OPT
else
  echo "== building chlast-opt (release)" >&2
  cargo build --quiet --release --bin chlast-opt
  opt=target/release/chlast-opt
fi

field() { sed -E "s/.*\"$2\": ([0-9]+).*/\1/" <<<"$1"; }

row() { # name variant json
  local j=$3
  printf '| %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s |\n' "$1" "$2" \
    "$(field "$j" kernel_launches)" "$(field "$j" cudnn_calls)" \
    "$(field "$j" cudnn_channels_first_calls)" \
    "$(field "$j" cudnn_fused_epilogues)" \
    "$(field "$j" layout_conversion_kernels)" \
    "$(field "$j" interior_layout_conversion_kernels)" \
    "$(field "$j" layout_conversion_bytes)" \
    "$(field "$j" modelled_hidden_conversion_bytes)"
}

echo "| program | variant | kernels | cuDNN calls (NCHW) | fused epilogues | conversion kernels (interior) | conversion bytes | modelled hidden bytes |"
echo "|---|---|---|---|---|---|---|---|"
for f in examples/models/*.mlir examples/vae_resblock3d.mlir examples/imported/vae_decoder_block2d.torch-mlir.mlir; do
  name=$(basename "$f" .mlir)
  for variant in original per-conv chlast; do
    case $variant in
      original) passes=() ;;
      per-conv) passes=(--conv-channels-last=strategy=per-conv) ;;
      chlast) passes=(--conv-channels-last) ;;
    esac
    "$opt" "$f" "${passes[@]}" "--chlast-lower-to-cuda=stats=$work/stats.json" -o /dev/null
    row "$name" "$variant" "$(cat "$work/stats.json")"
  done
done

echo
echo "| program | chlast-opt --conv-channels-last --chlast-lower-to-cuda, best of 3 |"
echo "|---|---|"
for f in examples/models/*.mlir examples/imported/vae_decoder_block2d.torch-mlir.mlir; do
  best=
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$opt" "$f" --conv-channels-last --chlast-lower-to-cuda -o /dev/null
    t=$(echo "$(date +%s.%N) - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '| %s | %.3f s |\n' "$(basename "$f" .mlir)" "$best"
done
