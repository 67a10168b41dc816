#!/usr/bin/env bash
# Makes (once) the Python venv with PyTorch and the model libraries that the
# corpus generator (make-corpus.sh) and the CPU benchmark (bench-cpu.sh) use,
# at $CHLAST_TORCH_VENV (default /opt/chlast-torch), and prints its python.
# The pins are the corpus's; extra packages (onnxruntime) can be named:
#   python=$(scripts/torch-venv.sh onnxruntime==1.32.0)
set -euo pipefail
venv="${CHLAST_TORCH_VENV:-/opt/chlast-torch}"
pins=(torch==2.8.0 torchvision==0.23.0 diffusers==0.35.1 onnx==1.19.0 numpy==2.2.6 "$@")
stamp="$venv/.chlast-torch-pins"
want="${pins[*]}"
if [ ! -x "$venv/bin/python" ] || ! grep -qxF -- "$want" "$stamp" 2>/dev/null; then
  echo "torch-venv: installing ${pins[*]} into $venv (several GB, once)" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
  echo "$want" >>"$stamp"
fi
echo "$venv/bin/python"
