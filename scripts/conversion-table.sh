#!/usr/bin/env bash
# Conversion quality table: runtime layout conversions left by
#   (a) the seed's approach: --conv-channels-last=strategy=per-conv (each
#       conv's input and filter converted, its result converted back),
#   (b) chlast's pass: --conv-channels-last (min-cut placement),
#   (c) IREE's iree-preprocessing-convert-conv-to-channels-last + transpose
#       propagation + canonicalize + cse, when `iree-opt` is installed
#       (`pip install iree-base-compiler`; this script does not install it),
# on examples/*.mlir, examples/models/*.mlir, the imported fixture, the
# real-model corpus (models/real/) and generated chains.
#
#   scripts/conversion-table.sh
#   TABLE_CHAINS="2:10 3:10 2:100" scripts/conversion-table.sh   # dims:blocks
#
# (a) and (b) come from the pass's `stats=` JSON (summed over functions) and
# from its output, where every `chlast.to_layout` is classified as a weight
# (its input comes, through reshapes and pads, from a constant), at the
# network's input (no conv upstream of it), at its output (no conv downstream
# of it) or interior (between convs). (c) counts `linalg.transpose` in IREE's
# output, split the same way, with bytes from the result types; transposes
# IREE fused into a `linalg.generic` (an operand read through a permuted
# indexing map that differs from the result's) are counted separately.
#
# The density rule (max-ops-per-conv, default 300) is disabled with
# max-ops-per-conv=0 only for inputs where it would skip a function; such
# rows are marked with a dagger.
set -euo pipefail

cd "$(dirname "$0")/.."
work=${TABLE_DIR:-target/conversion-table}
chains=${TABLE_CHAINS:-"2:10 3:10"}
mkdir -p "$work"

if [ -n "${CHLAST_OPT:-}" ] && [ -n "${CHLAST_GEN:-}" ]; then
  opt=$CHLAST_OPT
  gen=$CHLAST_GEN
else
  echo "== building chlast-opt and chlast-gen (debug)" >&2
  cargo build --quiet --bin chlast-opt --bin chlast-gen
  opt=target/debug/chlast-opt
  gen=target/debug/chlast-gen
fi

iree=$(command -v iree-opt || true)
# The ONNX import route's venv has iree-opt too (scripts/import-onnx.sh).
import_iree="${CHLAST_IMPORT_VENV:-/opt/chlast-import}/bin/iree-opt"
[ -n "$iree" ] || { [ -x "$import_iree" ] && iree=$import_iree; } || true
iree_pipeline='builtin.module(iree-preprocessing-convert-conv-to-channels-last,func.func(iree-global-opt-propagate-linalg-transpose{enable-aggressive-propagation=true enable-sink-transpose-through-pad=true}),canonicalize,cse)'

inputs=()
for f in examples/*.mlir examples/models/*.mlir; do [ -e "$f" ] && inputs+=("$f"); done
for f in examples/imported/*.mlir; do [ -e "$f" ] && inputs+=("$f"); done
# The real-model corpus (MLIR bytecode), printed as text for every tool.
for f in models/real/*.mlirbc; do
  [ -e "$f" ] || continue
  text="$work/$(basename "$f" .mlirbc).mlir"
  "$opt" "$f" -o "$text"
  inputs+=("$text")
done
for spec in $chains; do
  dims=${spec%%:*}
  blocks=${spec##*:}
  f="$work/chain${dims}d_$blocks.mlir"
  "$gen" --blocks "$blocks" --dims "$dims" -o "$f"
  inputs+=("$f")
done

analyze=$(mktemp)
trap 'rm -f "$analyze"' EXIT
cat >"$analyze" <<'PY'
"""Classifies the layout conversions in one printed MLIR file; prints JSON.

Conversions are `chlast.to_layout` (kind chlast) or `linalg.transpose`
(kind iree). Each is a weight (its input comes, through reshapes and pads,
from a constant or global), an input conversion (no conv upstream of it), an
output conversion (no conv downstream of it) or interior (between convs).
Only the top-level ops of functions form the graph; a value used inside an
op's region (a gather's tensor.extract) counts as a use by that op."""
import json, re, sys

kind, path = sys.argv[1], sys.argv[2]
text = open(path).read()
DEF = re.compile(r"^    (%[\w.$-]+)(?::\d+)?\s*=\s*([a-z_][\w.]*)\b(.*)$")
VAL = re.compile(r"%[\w.$-]+")
BITS = {"f64": 64, "f32": 32, "f16": 16, "bf16": 16, "i64": 64, "i32": 32,
        "i16": 16, "i8": 8, "i1": 8}
PASS_THROUGH = ("tensor.expand_shape", "tensor.collapse_shape", "tensor.pad",
                "linalg.copy", "tensor.cast", "flow.tensor.reshape")
CONSTANTS = ("arith.constant", "util.global.load", "flow.tensor.constant")


def tensor_bytes(ty):
    m = re.match(r"\s*tensor<([0-9x]*?)x?([a-z]+\d+)[,>]", ty)
    if not m:
        return 0
    n = 1
    for d in filter(None, m.group(1).split("x")):
        n *= int(d)
    return n * BITS.get(m.group(2), 32) // 8


MAPS = {}
for m in re.finditer(r"^(#\w+)\s*=\s*affine_map<\(([^)]*)\)\s*->\s*\(([^)]*)\)>", text, re.M):
    MAPS[m.group(1)] = ([d.strip() for d in m.group(2).split(",") if d.strip()],
                        [r.strip() for r in m.group(3).split(",") if r.strip()])


def is_conv(v):
    """A named conv, or a generic with a reduction and a windowed access
    (an indexing map with a sum of dims), as convs become in IREE."""
    op, _, rest = defs[v]
    if op.startswith("linalg.") and "conv" in op:
        return True
    if op != "linalg.generic" or '"reduction"' not in rest:
        return False
    im = re.search(r"indexing_maps\s*=\s*\[([^\]]*)\]", rest)
    if not im:
        return False
    for m in im.group(1).split(","):
        m = m.strip()
        results = MAPS[m][1] if m in MAPS else re.findall(r"->\s*\(([^)]*)\)", m)
        if any("+" in r for r in results):
            return True
    return False


defs = {}      # top-level value -> (op, operands, rest of line)
users = {}     # value -> top-level values of the ops using it
args = set()
current = None  # the top-level op whose region we are in
for line in text.splitlines():
    if line.lstrip().startswith("func.func"):
        args.update(re.findall(r"(%[\w.$-]+)\s*:", line))
        current = None
        continue
    m = DEF.match(line)
    if m:
        name, op, rest = m.groups()
        operands = VAL.findall(rest.split("{", 1)[0] if op == "tensor.pad" else rest)
        defs[name] = (op, operands, rest)
        current = name
        for v in operands:
            users.setdefault(v, []).append(name)
    elif re.match(r"^    (return|func\.return|util\.return)\b", line):
        for v in VAL.findall(line):
            users.setdefault(v, []).append("return")
        current = None
    elif line.startswith("     ") and current is not None:
        # Inside the region of `current`: captured top-level values.
        for v in VAL.findall(line):
            if v in defs and v != current:
                users.setdefault(v, []).append(current)


def source(v, depth=0):
    """What `v` comes from, through reshapes and pads."""
    if v in args:
        return "arg"
    if v not in defs or depth > 32:
        return "op"
    op, operands, _ = defs[v]
    if op in CONSTANTS:
        return "constant"
    if op in PASS_THROUGH and operands:
        return source(operands[0], depth + 1)
    return "op"


def reaches_conv(start, step):
    seen, todo = set(), list(start)
    while todo:
        v = todo.pop()
        if v in seen or v not in defs:
            continue
        seen.add(v)
        if is_conv(v):
            return True
        todo.extend(step(v))
    return False


upstream = lambda v: defs[v][1]
downstream = lambda v: users.get(v, [])

out = {"input": 0, "output": 0, "weight": 0, "interior": 0,
       "count": 0, "bytes": 0, "weight_bytes": 0, "activation_count": 0,
       "activation_bytes": 0, "fused": 0, "fused_bytes": 0}
for name, (op, operands, rest) in defs.items():
    if kind == "chlast" and op == "chlast.to_layout":
        size = tensor_bytes(rest.split(":", 1)[1]) if ":" in rest else 0
    elif kind == "iree" and op == "linalg.transpose":
        outs = re.search(r"outs\([^:]*:\s*(tensor<[^>]*>)", rest)
        size = tensor_bytes(outs.group(1)) if outs else 0
    else:
        continue
    out["count"] += 1
    out["bytes"] += size
    if operands and source(operands[0]) == "constant":
        out["weight"] += 1
        out["weight_bytes"] += size
        continue
    out["activation_count"] += 1
    out["activation_bytes"] += size
    if not reaches_conv(operands, upstream):
        out["input"] += 1
    elif not reaches_conv(downstream(name), downstream):
        out["output"] += 1
    else:
        out["interior"] += 1

if kind == "iree":
    maps = MAPS

    def permutation(m):
        dims, res = maps.get(m, ([], []))
        return len(dims) > 1 and sorted(res) == sorted(dims)

    for name, (op, operands, rest) in defs.items():
        if op != "linalg.generic":
            continue
        im = re.search(r"indexing_maps\s*=\s*\[([^\]]*)\]", rest)
        io = re.search(r"ins\(([^:]*):([^)]*)\)\s*outs\(", rest)
        if not im or not io:
            continue
        ms = [x.strip() for x in im.group(1).split(",")]
        types = re.findall(r"tensor<[^>]*>", io.group(2))
        if not permutation(ms[-1]):
            continue
        for i, ty in enumerate(types):
            if i < len(ms) - 1 and permutation(ms[i]) and maps[ms[i]] != maps[ms[-1]]:
                out["fused"] += 1
                out["fused_bytes"] += tensor_bytes(ty)
print(json.dumps(out))
PY

sum_stats() {
  python3 -c '
import json, sys
t = {"convs": 0, "converted": 0, "count": 0, "bytes": 0, "folded": 0, "density": False}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    s = json.loads(line)
    t["convs"] += s["convs_found"]
    t["converted"] += s["convs_converted"]
    t["count"] += s["runtime_conversion_count"]
    t["bytes"] += s["runtime_conversion_bytes"]
    t["folded"] += s["constant_conversions_folded"]
    t["density"] |= any(c["code"] == "max-ops-per-conv" for c in s["convs_skipped"])
print(json.dumps(t))' "$1"
}

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
kib() { python3 -c 'import sys; b=int(sys.argv[1]); print(f"{b/1024:.1f} KiB" if b < 1048576 else f"{b/1048576:.2f} MiB")' "$1"; }

run_chlast() { # input strategy max-ops-per-conv tag -> stats json path
  local input=$1 strategy=$2 density=$3 tag=$4
  "$opt" --pass-pipeline="builtin.module(conv-channels-last{strategy=$strategy max-ops-per-conv=$density stats=$work/$tag.stats.json})" \
    "$input" -o "$work/$tag.out.mlir" 2>"$work/$tag.err" || {
    echo "chlast-opt failed on $input:" >&2
    cat "$work/$tag.err" >&2
    exit 1
  }
}

rows=()
notes=()
boundary_ok=1
weights_ok=1
for input in "${inputs[@]}"; do
  name=$(basename "$input" .mlir)
  name=${name%.torch-mlir}
  density=300
  started=$(date +%s.%N)
  run_chlast "$input" min-cut 300 "$name.min-cut"
  seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$started" "$(date +%s.%N)")
  if [ "$(field "$(sum_stats "$work/$name.min-cut.stats.json")" density)" = "True" ]; then
    density=0
    run_chlast "$input" min-cut 0 "$name.min-cut"
    notes+=("$name")
  fi
  run_chlast "$input" per-conv "$density" "$name.per-conv"
  a=$(sum_stats "$work/$name.per-conv.stats.json")
  b=$(sum_stats "$work/$name.min-cut.stats.json")
  at=$(python3 "$analyze" chlast "$work/$name.per-conv.out.mlir")
  bt=$(python3 "$analyze" chlast "$work/$name.min-cut.out.mlir")
  mark=""
  [ "$density" = 0 ] && mark=" †"
  convs="$(field "$b" converted)/$(field "$b" convs)"
  cell_a="$(field "$a" count) ($(kib "$(field "$a" bytes)")), weights $(field "$at" weight)"
  cell_b="$(field "$b" count) ($(kib "$(field "$b" bytes)")): in $(field "$bt" input), out $(field "$bt" output), interior $(field "$bt" interior), weights $(field "$bt" weight)"
  [ "$(field "$bt" interior)" = 0 ] || boundary_ok=0
  [ "$(field "$bt" weight)" = 0 ] || weights_ok=0
  if [ "$(field "$bt" count)" != "$(field "$b" count)" ]; then
    echo "warning: $name: stats report $(field "$b" count) runtime conversions, the output has $(field "$bt" count) chlast.to_layout" >&2
  fi
  folded=$(field "$b" folded)
  if [ -n "$iree" ]; then
    if "$iree" --pass-pipeline="$iree_pipeline" "$input" -o "$work/$name.iree.mlir" 2>"$work/$name.iree.err"; then
      ct=$(python3 "$analyze" iree "$work/$name.iree.mlir")
      cell_c="$(field "$ct" count) ($(kib "$(field "$ct" bytes)")) | $(field "$ct" weight) ($(kib "$(field "$ct" weight_bytes)")) | $(field "$ct" activation_count) ($(kib "$(field "$ct" activation_bytes)")): in $(field "$ct" input), out $(field "$ct" output), interior $(field "$ct" interior) | $(field "$ct" fused) ($(kib "$(field "$ct" fused_bytes)"))"
    else
      cell_c="failed | - | - | -"
    fi
  else
    cell_c="not installed | - | - | -"
  fi
  rows+=("| $name$mark | $convs | $cell_a | $cell_b | $folded | $seconds s | $cell_c |")
done

echo
echo "Runtime layout conversions left (count and bytes moved; $(date +%F))"
echo
echo "| input | convs converted | (a) seed: per-conv | (b) chlast: min-cut | weights folded by (b) | chlast-opt time (b) | (c) IREE: linalg.transpose | IREE: weights | IREE: activations | IREE: fused into generics |"
echo "|---|---:|---|---|---:|---:|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
if [ ${#notes[@]} -gt 0 ]; then
  echo "† run with max-ops-per-conv=0: the density rule (300 ops per conv) would skip the function: ${notes[*]}"
fi
[ -n "$iree" ] || echo "(c) iree-opt not found: pip install iree-base-compiler"
echo "chlast (b): conversions only at the network's inputs and outputs: $([ $boundary_ok = 1 ] && echo yes || echo NO); weight conversions at run time: $([ $weights_ok = 1 ] && echo 0 || echo SOME)"
