#!/usr/bin/env bash
# A differential fuzzing campaign of conv-channels-last (see src/fuzz/):
# chlast-fuzz on JOBS processes for MINUTES, each on its own seed range.
# Failures are shrunk and saved under OUT as fail-SEED-STAGE.mlir; a
# process that crashes (a signal, not a failed check) has its seed's graph
# saved as crash-SEED.mlir and is restarted at the next seed. Prints a
# summary table; exit status 1 when anything failed or crashed.
#
#   scripts/fuzz.sh --minutes 30                 # release build, nproc jobs
#   scripts/fuzz.sh --minutes 5 --jobs 1 --seed 5000000 --out /tmp/fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=10
jobs=$(nproc)
first=1000000
out=target/fuzz
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) first=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$minutes$jobs$first" in
  *[!0-9.]*) echo "fuzz.sh: --minutes, --jobs and --seed take numbers" >&2; exit 2 ;;
esac

export LD_LIBRARY_PATH="${CHLAST_CUDA_TOOLS:-/opt/chlast-cuda}/nvidia/cudnn/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cargo build --release --bin chlast-fuzz >&2
fuzz=target/release/chlast-fuzz
mkdir -p "$out"
deadline=$(( $(date +%s) + ${minutes%.*} * 60 ))

# One job: seeds from $1 on, restarted after crashes until the deadline.
job() {
  local seed=$1 index=$2 log="$out/job$2.log" progress="$out/job$2.progress"
  : > "$log"
  while now=$(date +%s); [ "$now" -lt "$deadline" ]; do
    local left
    left=$(awk -v s=$(( deadline - now )) 'BEGIN { printf "%.2f", s / 60 }')
    rm -f "$progress"
    set +e
    "$fuzz" --seed "$seed" --minutes "$left" --save "$out" --progress "$progress" >> "$log" 2>&1
    local status=$?
    set -e
    if [ $status -le 1 ]; then
      break
    fi
    # A crash: save the graph being checked and go on after it.
    local crashed
    crashed=$(cat "$progress" 2>/dev/null || echo "$seed")
    "$fuzz" --print "$crashed" > "$out/crash-$crashed.mlir"
    echo "seed $crashed: crash (exit status $status)" >> "$log"
    echo "chlast-fuzz: 1 graphs (seeds $crashed..$((crashed + 1))), crashed" >> "$log"
    seed=$(( crashed + 1 ))
  done
}

for i in $(seq 0 $(( jobs - 1 ))); do
  job $(( first + i * 1000000000 )) "$i" &
done
wait

graphs=0; failures=0; crashes=0
for log in "$out"/job*.log; do
  g=$(awk '/^chlast-fuzz: [0-9]+ graphs/ { s += $2 } END { print s + 0 }' "$log")
  f=$(grep -c '^seed [0-9]*: ' "$log" || true)
  c=$(grep -c '^seed [0-9]*: crash' "$log" || true)
  graphs=$((graphs + g)); failures=$((failures + f - c)); crashes=$((crashes + c))
done
printf '%-28s %s\n' "minutes" "$minutes" "jobs" "$jobs" "graphs checked" "$graphs" \
  "failed checks" "$failures" "crashes" "$crashes" "reproducers in" "$out"
grep -h '^seed [0-9]*: ' "$out"/job*.log || true
[ "$failures" -eq 0 ] && [ "$crashes" -eq 0 ]
