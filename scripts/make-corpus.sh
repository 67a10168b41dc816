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
venv="${CHLAST_TORCH_VENV:-/opt/chlast-torch}"
pins=(torch==2.8.0 torchvision==0.23.0 diffusers==0.35.1 onnx==1.19.0 numpy==2.2.6)

stamp="$venv/.chlast-torch-pins"
want="${pins[*]}"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "make-corpus: installing ${pins[*]} into $venv (several GB, once)" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
  echo "$want" >"$stamp"
fi

"$here/import-onnx.sh" --install
exec "$venv/bin/python" "$root/models/real/generate.py" "$@"
