#!/usr/bin/env bash
# End-to-end tool time: the whole `chlast-opt --conv-channels-last` process
# (parse, pass, print) on generated 2-D chains (32 channels, 16x16) of
# 2 000, 5 000 and 20 000 blocks, best of 3, next to IREE's
# conv-to-channels-last + transpose propagation pipeline on the same files
# when `iree-opt` is available (tries `pip install iree-base-compiler` once;
# goes on without it if that fails).
#
#   scripts/bench-tool-time.sh                 # everything
#   BENCH_REPEAT=5 scripts/bench-tool-time.sh  # best of 5
#   BENCH_NO_IREE=1 scripts/bench-tool-time.sh # chlast only
#   BENCH_BLOCKS="2000 5000 20000"             # the chain sizes (2000 and 20000 give the scaling)
#
# Prints a markdown table, the scaling ratio time(20000)/time(2000), the
# ratio to IREE, the issue's targets, and for the 5000-block chain: the
# floor (chlast-opt with no pass: parse, verify, print), the same run on
# MLIR bytecode in and out, and a phase breakdown from `--mlir-timing`.
set -euo pipefail

cd "$(dirname "$0")/.."
repeat=${BENCH_REPEAT:-3}
blocks_list=${BENCH_BLOCKS:-"2000 5000 20000"}
work=${BENCH_DIR:-target/bench-inputs}
mkdir -p "$work"

echo "== building chlast-opt and chlast-gen (release)" >&2
cargo build --release --quiet --bin chlast-opt --bin chlast-gen
opt=target/release/chlast-opt
gen=target/release/chlast-gen

iree_pipeline='builtin.module(iree-preprocessing-convert-conv-to-channels-last,func.func(iree-global-opt-propagate-linalg-transpose{enable-aggressive-propagation=true enable-sink-transpose-through-pad=true}),canonicalize,cse)'

find_iree() {
  if command -v iree-opt >/dev/null 2>&1; then
    command -v iree-opt
    return 0
  fi
  local base
  base=$(python3 -m site --user-base 2>/dev/null || true)
  if [ -n "$base" ] && [ -x "$base/bin/iree-opt" ]; then
    echo "$base/bin/iree-opt"
    return 0
  fi
  return 1
}

iree=""
if [ -z "${BENCH_NO_IREE:-}" ]; then
  if ! iree=$(find_iree); then
    echo "== iree-opt not found; trying pip install iree-base-compiler" >&2
    if python3 -m pip install --quiet iree-base-compiler >&2 2>/dev/null ||
       pip install --quiet iree-base-compiler >&2 2>/dev/null; then
      hash -r
      iree=$(find_iree || true)
    fi
    [ -n "$iree" ] || echo "== iree-opt unavailable; timing chlast only" >&2
  fi
fi

# best_of N cmd...: prints the best wall time in seconds of N runs of cmd
# (stdout to a file in $work, stderr kept for errors).
best_of() {
  local n=$1
  shift
  local best="" t
  for _ in $(seq "$n"); do
    local TIMEFORMAT=%R
    if ! t=$({ time "$@" >"$work/last.out" 2>"$work/last.err"; } 2>&1); then
      echo "command failed: $*" >&2
      cat "$work/last.err" >&2
      return 1
    fi
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$t
    fi
  done
  echo "$best"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A chlast_time iree_time ops
for n in $blocks_list; do
  file="$work/chain2d_$n.mlir"
  [ -s "$file" ] || "$gen" --blocks "$n" --dims 2 --channels 32 --size 16 -o "$file"
  ops[$n]=$((n * 8 + 3))
  echo "== chain2d_$n: chlast-opt --conv-channels-last (best of $repeat)" >&2
  chlast_time[$n]=$(best_of "$repeat" "$opt" --conv-channels-last "$file" -o "$work/chain2d_$n.chlast.mlir")
  conversions=$(grep -c 'chlast.to_layout' "$work/chain2d_$n.chlast.mlir" || true)
  echo "   ${chlast_time[$n]} s, $conversions chlast.to_layout in the output" >&2
  if [ -n "$iree" ]; then
    echo "== chain2d_$n: iree-opt (best of $repeat)" >&2
    iree_time[$n]=$(best_of "$repeat" "$iree" --pass-pipeline="$iree_pipeline" "$file" -o "$work/chain2d_$n.iree.mlir")
    echo "   ${iree_time[$n]} s" >&2
  fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "MISSED" }'; }

echo
echo "Tool time, whole process (parse, pass, print to a file), best of $repeat, $(nproc) cores, $(date +%F), load average before: $load_before"
echo
echo "| input | top-level ops | chlast-opt --conv-channels-last | per op | iree-opt pipeline | chlast / IREE |"
echo "|---|---:|---:|---:|---:|---:|"
for n in $blocks_list; do
  per_op=$(awk -v t="${chlast_time[$n]}" -v o="${ops[$n]}" 'BEGIN { printf "%.1f µs", t / o * 1e6 }')
  if [ -n "$iree" ]; then
    echo "| chain2d_$n (C=32, 16x16) | ${ops[$n]} | ${chlast_time[$n]} s | $per_op | ${iree_time[$n]} s | $(ratio "${chlast_time[$n]}" "${iree_time[$n]}") |"
  else
    echo "| chain2d_$n (C=32, 16x16) | ${ops[$n]} | ${chlast_time[$n]} s | $per_op | not installed | - |"
  fi
done
echo

if [ -n "${chlast_time[2000]:-}" ] && [ -n "${chlast_time[20000]:-}" ]; then
  scaling=$(ratio "${chlast_time[20000]}" "${chlast_time[2000]}")
  echo "scaling chlast-opt: time(20000) / time(2000) = $scaling (target <= 12: $(verdict "$scaling" 12))"
  if [ -n "$iree" ]; then
    echo "scaling iree-opt:   time(20000) / time(2000) = $(ratio "${iree_time[20000]}" "${iree_time[2000]}")"
  fi
fi
if [ -n "${chlast_time[5000]:-}" ]; then
  echo "chain2d_5000: chlast-opt ${chlast_time[5000]} s (target <= 1.5 s: $(verdict "${chlast_time[5000]}" 1.5))"
  if [ -n "$iree" ]; then
    r=$(ratio "${chlast_time[5000]}" "${iree_time[5000]}")
    echo "chain2d_5000: chlast-opt / iree-opt = $r (target <= 0.3: $(verdict "$r" 0.3))"
  fi
  file="$work/chain2d_5000.mlir"
  floor=$(best_of "$repeat" "$opt" "$file" -o "$work/chain2d_5000.noop.mlir")
  "$opt" "$file" --emit-bytecode -o "$work/chain2d_5000.mlirbc"
  bytecode=$(best_of "$repeat" "$opt" --conv-channels-last "$work/chain2d_5000.mlirbc" --emit-bytecode -o "$work/chain2d_5000.chlast.mlirbc")
  echo "chain2d_5000: chlast-opt with no pass (parse, verify, print): $floor s"
  echo "chain2d_5000: chlast-opt --conv-channels-last, bytecode in and out (--emit-bytecode): $bytecode s"
  echo
  echo "Phases of one chain2d_5000 run (--mlir-timing, wall time):"
  "$opt" --conv-channels-last --mlir-timing --mlir-timing-display=list \
    "$work/chain2d_5000.mlir" -o "$work/chain2d_5000.chlast.mlir" 2>&1 |
    grep -E 'Parser|ConvChannelsLast|conv-channels-last|Output|Verifier|Total|Rest' | sed 's/^/  /' || true
fi
