#!/usr/bin/env bash
# CPU run-time benchmark (see scripts/bench_cpu.py): chlast on oneDNN as
# imported (a) and after --conv-channels-last (b), PyTorch eager (c) and
# onnxruntime (d) on every example and corpus model, same inputs, same
# threads; prints a markdown table with the date, CPU and thread count.
#   scripts/bench-cpu.sh [--iterations K] [--threads N] [--models a,b] [--no-torch] [--json F]
# Builds chlast-run in release mode and makes the Python venv with PyTorch
# and onnxruntime once (scripts/torch-venv.sh: several GB). About 20 minutes
# on 2 cores, most of it LLVM compiling the real decoders.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin chlast-run >&2
python=python3
case " $* " in
  *" --no-torch "*) ;;
  *) python=$(scripts/torch-venv.sh onnxruntime==1.32.0) ;;
esac
exec "$python" scripts/bench_cpu.py "$@"
