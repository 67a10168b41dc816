#!/usr/bin/env bash
# import-onnx.sh: ONNX model -> linalg-on-tensors MLIR that chlast reads.
#
#   scripts/import-onnx.sh MODEL.onnx -o OUT.mlir [--keep-torch FILE] [--opset-version N] [-v]
#   scripts/import-onnx.sh --install      # only create the tool venv if missing
#
# Runs IREE's ONNX importer (iree-import-onnx, weights inline) and then
# torch-mlir's passes in iree-opt:
#   convert-torch-onnx-to-torch, torch-lower-to-backend-contract,
#   torch-scalarize-shapes, torch-shape-refinement-pipeline,
#   torch-backend-to-linalg-on-tensors-backend-pipeline
# and checks the result (upstream dialects only, static shapes, exactly one
# public function). The tools live in a Python venv at $CHLAST_IMPORT_VENV
# (default /opt/chlast-import, ~610 MB), created on first use. On any failure
# the reasons go to stderr, one line each, the exit status is 1 (2 for usage
# errors) and OUT.mlir is not written. See scripts/import-onnx.md.
set -euo pipefail

prog=import-onnx
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker="$here/import-onnx-check.py"
venv="${CHLAST_IMPORT_VENV:-/opt/chlast-import}"
# Pinned: iree-base-compiler brings iree-import-onnx and iree-opt (with
# torch-mlir's ONNX and torch lowerings); onnx is the importer's parser.
pins=(iree-base-compiler==3.13.0 onnx==1.18.0 numpy==2.4.6 protobuf==7.36.2)
pipeline='builtin.module(func.func(convert-torch-onnx-to-torch),torch-lower-to-backend-contract,func.func(torch-scalarize-shapes),torch-shape-refinement-pipeline,torch-backend-to-linalg-on-tensors-backend-pipeline)'

usage() {
  cat <<EOF
usage: scripts/import-onnx.sh MODEL.onnx -o OUT.mlir [options]
       scripts/import-onnx.sh --install

Imports an ONNX model (fixed input shapes, weights inline) into
linalg-on-tensors MLIR for chlast-opt.

options:
  -o, --output FILE      where to write the MLIR (required; '-' for stdout)
  --keep-torch FILE      also write the importer's torch-dialect IR to FILE
                         (kept on failure too, for debugging)
  --opset-version N      upgrade the model to ONNX opset N before importing
  -v, --verbose          print each step and its time to stderr
  --install              create the tool venv ($venv) if missing, then exit
  -h, --help             this text

environment:
  CHLAST_IMPORT_VENV     the tool venv (default /opt/chlast-import)
EOF
}

die_usage() { echo "$prog: $1" >&2; echo "usage: scripts/import-onnx.sh MODEL.onnx -o OUT.mlir [options] (-h for help)" >&2; exit 2; }

# The venv is complete when its stamp names exactly the pinned versions.
ensure_venv() {
  local stamp="$venv/.chlast-import-pins" want="${pins[*]}"
  if [ -x "$venv/bin/iree-import-onnx" ] && [ -x "$venv/bin/iree-opt" ] &&
     [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "$prog: installing ${pins[*]} into $venv" >&2
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/import-onnx-pip.XXXXXX")"
  if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
      echo "$prog: $venv exists and is not a Python venv; set CHLAST_IMPORT_VENV to another directory" >&2
      rm -f "$log"; exit 1
    fi
    if ! python3 -m venv --clear "$venv" >"$log" 2>&1; then
      echo "$prog: cannot create the venv $venv: $(tail -1 "$log") (Debian: apt-get install python3-venv; or set CHLAST_IMPORT_VENV to a writable directory)" >&2
      rm -f "$log"; exit 1
    fi
  fi
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >"$log" 2>&1; then
    echo "$prog: pip install ${pins[*]} into $venv failed:" >&2
    tail -5 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
}

model="" out="" keep_torch="" opset="" verbose=0 install_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -o|--output) [ $# -ge 2 ] || die_usage "option $1 needs a file name"; out="$2"; shift 2 ;;
    --output=*) out="${1#--output=}"; shift ;;
    -o?*) out="${1#-o}"; shift ;;
    --keep-torch) [ $# -ge 2 ] || die_usage "option $1 needs a file name"; keep_torch="$2"; shift 2 ;;
    --keep-torch=*) keep_torch="${1#--keep-torch=}"; shift ;;
    --opset-version) [ $# -ge 2 ] || die_usage "option $1 needs a number"; opset="$2"; shift 2 ;;
    --opset-version=*) opset="${1#--opset-version=}"; shift ;;
    -v|--verbose) verbose=1; shift ;;
    --install) install_only=1; shift ;;
    --) shift; [ $# -gt 0 ] && { [ -z "$model" ] || die_usage "more than one model given ('$model', '$1')"; model="$1"; shift; } ;;
    -) die_usage "reading the model from stdin is not supported" ;;
    -*) die_usage "unknown option '$1'" ;;
    *) [ -z "$model" ] || die_usage "more than one model given ('$model', '$1')"; model="$1"; shift ;;
  esac
done

if [ "$install_only" = 1 ]; then
  ensure_venv
  exit 0
fi
[ -n "$model" ] || die_usage "no model given"
[ -n "$out" ] || die_usage "no output file given (-o OUT.mlir)"
[ -z "$opset" ] || [[ "$opset" =~ ^[0-9]+$ ]] || die_usage "--opset-version needs a number, not '$opset'"

name="$model"
fail() { echo "$prog: $name: $1" >&2; exit 1; }
[ -e "$model" ] || fail "no such file"
[ -f "$model" ] || fail "not a regular file"
[ -r "$model" ] || fail "cannot read the file (permission denied)"
[ -s "$model" ] || fail "not an ONNX model (the file is empty)"
if [ "$out" != "-" ]; then
  outdir="$(dirname "$out")"
  [ -d "$outdir" ] || fail "output directory '$outdir' does not exist"
  [ -w "$outdir" ] || fail "output directory '$outdir' is not writable"
fi

ensure_venv
py="$venv/bin/python"
# The iree-opt binary itself, not the venv's Python wrapper around it (one
# Python start-up less, and a signal reaches the process doing the work).
iree_opt="$(ls "$venv"/lib/python3*/site-packages/iree/compiler/_mlir_libs/iree-opt 2>/dev/null | head -1)"
[ -x "$iree_opt" ] || iree_opt="$venv/bin/iree-opt"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/import-onnx.XXXXXX")"
out_tmp=""
child=""
cleanup() { rm -rf "$tmp"; [ -z "$out_tmp" ] || rm -f "$out_tmp"; }
# On a signal, stop the running tool first, so that nothing writes into
# $tmp after it is removed.
on_signal() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
# Runs a tool in the background and waits for it, so that signals are
# handled at once (bash defers traps while a foreground child runs).
run() { "$@" & child=$!; local rc=0; wait "$child" || rc=$?; child=""; return "$rc"; }

step_start=0
step() { [ "$verbose" = 1 ] && { step_start=$(date +%s%N); echo "$prog: $1" >&2; }; return 0; }
step_done() {
  [ "$verbose" = 1 ] || return 0
  local ms=$(( ($(date +%s%N) - step_start) / 1000000 ))
  printf '%s:   done in %d.%02ds\n' "$prog" $((ms / 1000)) $((ms % 1000 / 10)) >&2
}

# 1. Is it an ONNX model, with fixed input shapes? Then ONNX -> torch
# dialect (torch.operator "onnx.*" ops), weights inline: iree-import-onnx's
# code, run by the checker in the same Python process.
step "checking $model, iree-import-onnx"
torch_ir="$tmp/model.torch.mlir"
import_args=(--no-externalize-params)
[ -z "$opset" ] || import_args+=(--opset-version "$opset")
if ! run "$py" "$checker" import "$model" "$name" "$torch_ir" "${import_args[@]}"; then
  [ -z "$keep_torch" ] || [ ! -s "$torch_ir" ] || cp "$torch_ir" "$keep_torch"
  exit 1
fi
[ -z "$keep_torch" ] || cp "$torch_ir" "$keep_torch"
step_done

# 2. torch dialect -> linalg on tensors.
step "iree-opt (torch-mlir's ONNX -> torch -> linalg-on-tensors passes)"
if ! run "$iree_opt" --pass-pipeline="$pipeline" "$torch_ir" -o "$tmp/out.mlir" 2>"$tmp/opt.err"; then
  # Convert ONNX ops only, so that every unconverted ONNX op can be listed.
  run "$iree_opt" --mlir-print-debuginfo --pass-pipeline='builtin.module(func.func(convert-torch-onnx-to-torch))' \
    "$torch_ir" -o "$tmp/stage1.mlir" 2>/dev/null || rm -f "$tmp/stage1.mlir"
  IMPORT_ONNX_KEPT_TORCH="$keep_torch" run "$py" "$checker" lower-error "$tmp/opt.err" "$name" "$model" "$torch_ir" "$tmp/stage1.mlir"
  exit 1
fi
step_done

# 3. Only upstream dialects, static shapes, one public function.
step "checking the result"
run "$py" "$checker" output "$tmp/out.mlir" "$name" || exit 1
step_done

if [ "$out" = "-" ]; then
  cat "$tmp/out.mlir"
else
  # Same directory as OUT, so that the final mv is atomic; cp (not mktemp)
  # so that OUT gets the usual permissions.
  out_tmp="$(dirname "$out")/.$(basename "$out").import-onnx.$$"
  cp "$tmp/out.mlir" "$out_tmp"
  mv -f "$out_tmp" "$out"
  out_tmp=""
fi
