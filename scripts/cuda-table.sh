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

# The pass flags of a variant, in the array `passes`.
variant_passes() {
  case $1 in
    original) passes=() ;;
    per-conv) passes=(--conv-channels-last=strategy=per-conv) ;;
    chlast) passes=(--conv-channels-last) ;;
  esac
}

# The named fields of the statistics JSON in file $1, space-separated, in
# order (one JSON parse per program and variant).
fields() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(*(s[k] for k in sys.argv[2:]))' "$@"; }

row() { # name variant stats-file
  local launches calls nchw fused conversions interior bytes hidden
  read -r launches calls nchw fused conversions interior bytes hidden < <(fields "$3" \
    kernel_launches cudnn_calls cudnn_channels_first_calls cudnn_fused_epilogues \
    layout_conversion_kernels interior_layout_conversion_kernels \
    layout_conversion_bytes modelled_hidden_conversion_bytes)
  printf '| %s | %s | %s | %s (%s) | %s | %s (%s) | %s | %s |\n' "$1" "$2" \
    "$launches" "$calls" "$nchw" "$fused" "$conversions" "$interior" "$bytes" "$hidden"
}

echo "| program | variant | kernels | cuDNN calls (NCHW) | fused epilogues | conversion kernels (interior) | conversion bytes | modelled hidden bytes |"
echo "|---|---|---|---|---|---|---|---|"
for f in examples/models/*.mlir examples/vae_resblock3d.mlir examples/imported/vae_decoder_block2d.torch-mlir.mlir; do
  name=$(basename "$f" .mlir)
  for variant in original per-conv chlast; do
    variant_passes "$variant"
    "$opt" "$f" "${passes[@]}" "--chlast-lower-to-cuda=stats=$work/stats.json" -o /dev/null
    row "$name" "$variant" "$work/stats.json"
  done
done

# Modelled time (the statistics' max(bytes / bandwidth, FLOPs / peak) per
# kernel and cuDNN call, summed; data-sheet H100 SXM / H200 figures), kernel
# launches and the longest per-thread serial loop, for every example
# (small and large/) and corpus model.
echo
echo "| program | variant | launches | cuDNN calls | modelled H100 (us) | modelled H200 (us) | longest serial loop | kernel MB | cuDNN MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in examples/models/*.mlir examples/models/large/*.mlir examples/imported/vae_decoder_block2d.torch-mlir.mlir models/real/*.mlirbc; do
  name=$(basename "$(dirname "$f")")/$(basename "${f%.*}")
  for variant in original per-conv chlast; do
    variant_passes "$variant"
    "$opt" "$f" "${passes[@]}" "--chlast-lower-to-cuda=stats=$work/stats.json" -o /dev/null
    read -r launches calls h100 h200 serial kernel_bytes cudnn_bytes < <(fields "$work/stats.json" \
      kernel_launches cudnn_calls modelled_ns_h100 modelled_ns_h200 max_serial_trip_count \
      kernel_bytes cudnn_bytes)
    printf '| %s | %s | %s | %s | %.1f | %.1f | %s | %.2f | %.2f |\n' "$name" "$variant" \
      "$launches" "$calls" \
      "$(echo "$h100 / 1000" | bc -l)" \
      "$(echo "$h200 / 1000" | bc -l)" \
      "$serial" \
      "$(echo "$kernel_bytes / 1048576" | bc -l)" \
      "$(echo "$cudnn_bytes / 1048576" | bc -l)"
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
