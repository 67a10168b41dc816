#!/usr/bin/env bash
# CPU run time of each example model and the shared fixture, original vs
# after `--conv-channels-last --chlast-materialize-layouts`, same seeded
# inputs, same lowering (chlast-run, LLVM JIT at -O2). Prints a table.
#   scripts/bench-cpu.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-10}
cargo build --release --bin chlast-opt --bin chlast-run >/dev/null 2>&1
opt=target/release/chlast-opt
run=target/release/chlast-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

models=(examples/models/*.mlir examples/models/large/*.mlir examples/vae_resblock3d.mlir examples/imported/vae_decoder_block2d.torch-mlir.mlir)
printf '| model | original median ms | channels-last median ms | ratio (orig/cl) | equal |\n|---|---|---|---|---|\n'
for m in "${models[@]}"; do
  [ -f "$m" ] || continue
  name=$(basename "$(dirname "$m")")/$(basename "$m" .mlir)
  "$opt" "$m" --conv-channels-last=max-ops-per-conv=0 --chlast-materialize-layouts -o "$tmp/${name////_}.cl.mlir"
  out=$("$run" "$m" --seed 1 --iterations "$iterations" --compare "$tmp/${name////_}.cl.mlir" 2>&1) || true
  medians=($(grep -o 'median [0-9.]* ms' <<<"$out" | awk '{print $2}'))
  equal=$(grep -q 'FAIL' <<<"$out" && echo no || echo yes)
  if [ ${#medians[@]} -ge 2 ]; then
    ratio=$(awk -v a="${medians[0]}" -v b="${medians[1]}" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s |\n' "$name" "${medians[0]}" "${medians[1]}" "$ratio" "$equal"
  else
    printf '| %s | error | error | - | %s |\n' "$name" "$equal"
  fi
done
