#!/usr/bin/env bash
# make-corpus.sh: regenerate the corpus of real networks in models/real/.
#
#   scripts/make-corpus.sh [MODEL...] [--out DIR] [--keep-onnx] [--list]
#
# Creates (once) a Python venv at $CHLAST_TORCH_VENV (default
# /opt/chlast-torch) with the pinned torch, torchvision, diffusers, onnx and
# numpy from PyPI (torch's CUDA wheels come along: ~7 GB on disk; the
# generator itself runs on the CPU), then runs models/real/generate.py with
# it. The import step calls scripts/import-onnx.sh, which brings its own
# venv ($CHLAST_IMPORT_VENV, default /opt/chlast-import). Needs no network
# once both venvs exist. The tests use the committed files; nothing here runs
# in `make test`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python=$("$here/torch-venv.sh")

"$here/import-onnx.sh" --install
exec "$python" "$root/models/real/generate.py" "$@"
