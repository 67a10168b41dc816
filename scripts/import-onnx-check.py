#!/usr/bin/env python3
"""Checks and diagnostics for scripts/import-onnx.sh (run with the import venv's python).

  import-onnx-check.py model MODEL NAME
      Is MODEL an ONNX model with fixed input shapes?
  import-onnx-check.py import MODEL NAME TORCH_IR [IMPORTER_ARGS...]
      The `model` check, then IREE's ONNX importer (what iree-import-onnx
      runs) in the same process, writing TORCH_IR; its failures explained.
  import-onnx-check.py lower-error STDERR NAME MODEL TORCH_IR STAGE1_IR
      Explain an iree-opt failure: every ONNX op that convert-torch-onnx-to-torch
      left unconverted (from STAGE1_IR, printed with debug locations), and every
      torch op that could not be lowered to linalg.
  import-onnx-check.py output OUT_MLIR NAME
      Check the result: upstream dialects only, no dynamic dims, exactly one
      public function.

Every problem is printed as one line `import-onnx: NAME: ...` on stderr; the
exit status is 1 when there is one.
"""
import os
import re
import sys

PROG = "import-onnx"
HINT_FIXED = "give the model fixed input shapes at export"

# Dialects of the linalg-on-tensors backend contract that chlast-opt (mlir-opt
# plus chlast) reads and that keep the program a self-contained function.
ALLOWED_DIALECTS = {"builtin", "func", "arith", "math", "linalg", "tensor", "scf", "cf", "complex"}
REJECTED_DIALECTS = {
    "torch": "a torch op that was not lowered",
    "torch_c": "a torch/builtin type conversion left by an incomplete lowering",
    "tm_tensor": "torch-mlir's TMTensor dialect, which chlast-opt cannot parse",
    "ml_program": "a global (ml_program), so the function is not self-contained",
    "util": "an IREE util op (externalized parameters?), which chlast-opt cannot parse",
    "stablehlo": "a StableHLO op, which chlast-opt cannot parse",
}

problems = []


def problem(name, msg):
    problems.append("%s: %s: %s" % (PROG, name, msg))


def finish():
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def snippet(line, width=110):
    line = re.sub(r"\s+loc\([^()]*\)\s*$", "", line)
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


# --------------------------------------------------------------------- model


def load_model(path):
    import onnx

    return onnx.load(path, load_external_data=False)


def type_str(tt):
    from onnx import TensorProto

    dims = []
    for d in tt.shape.dim:
        dims.append(str(d.dim_value) if d.HasField("dim_value") else "?")
    names = {TensorProto.FLOAT: "f32", TensorProto.FLOAT16: "f16", TensorProto.BFLOAT16: "bf16",
             TensorProto.DOUBLE: "f64", TensorProto.INT64: "i64", TensorProto.INT32: "i32",
             TensorProto.INT16: "i16", TensorProto.INT8: "i8", TensorProto.UINT8: "ui8", TensorProto.BOOL: "i1"}
    elem = names.get(tt.elem_type, "elem_type_%d" % tt.elem_type)
    return "tensor<%s>" % "x".join(dims + [elem])


def check_model(path, name):
    try:
        m = load_model(path)
    except Exception as e:  # DecodeError, RuntimeError, ...
        problem(name, "not an ONNX model (it does not parse as an ONNX protobuf: %s)" % type(e).__name__)
        return finish()
    if m.ir_version == 0 or not m.HasField("graph") or not m.opset_import or not (m.graph.node or m.graph.output):
        problem(name, "not an ONNX model (no ir_version, opset or graph in the file)")
        return finish()
    inits = {t.name for t in m.graph.initializer}
    for i, inp in enumerate(m.graph.input):
        if inp.name in inits:
            continue
        t = inp.type
        if not t.HasField("tensor_type"):
            problem(name, "input %d '%s' is not a tensor (%s): only tensor inputs are supported" % (i, inp.name, t.WhichOneof("value")))
            continue
        tt = t.tensor_type
        if not tt.HasField("shape"):
            problem(name, "input %d '%s' has no shape: %s" % (i, inp.name, HINT_FIXED))
            continue
        for k, d in enumerate(tt.shape.dim):
            if not d.HasField("dim_value"):
                what = ("'%s'" % d.dim_param) if d.dim_param else "unknown"
                problem(name, "dynamic dimension %d (%s) in input %d '%s' (%s): %s"
                        % (k, what, i, inp.name, type_str(tt), HINT_FIXED))
    return finish()


# -------------------------------------------------------------------- import


def run_import(path, name, torch_ir, *importer_args):
    """check_model, then iree-import-onnx's main() in this process (one
    Python start-up instead of two)."""
    if check_model(path, name):
        return 1
    from iree.compiler.tools.import_onnx import __main__ as importer

    try:
        args = importer.parse_arguments([path, "-o", torch_ir] + list(importer_args))
        importer.main(args)
    except SystemExit as e:
        if e.code:
            problem(name, "iree-import-onnx failed (exit status %s)" % e.code)
    except Exception as e:
        text = " ".join(str(e).split()) or "no message"
        if type(e).__name__ == "ValidationError":
            problem(name, "the ONNX checker rejected the model: %s" % snippet(text, 200))
        else:
            problem(name, "iree-import-onnx failed: %s: %s" % (type(e).__name__, snippet(text, 200)))
    return finish()


# --------------------------------------------------------------- lower-error


def onnx_nodes(model_path):
    """op_type -> (domain, first node name), walking subgraphs too."""
    info = {}
    try:
        m = load_model(model_path)
    except Exception:
        return info

    def walk(g):
        for n in g.node:
            info.setdefault(n.op_type, (n.domain, n.name))
            for a in n.attribute:
                if a.HasField("g"):
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)

    walk(m.graph)
    return info


def locations(lines):
    """#locN = loc("file":L:C) aliases -> L."""
    locs = {}
    for l in lines:
        m = re.match(r'^(#loc\d*) = loc\("[^"]*":(\d+):\d+\)', l)
        if m:
            locs[m.group(1)] = int(m.group(2))
    return locs


def torch_line(torch_lines, n):
    return snippet(torch_lines[n - 1]) if 0 < n <= len(torch_lines) else "?"


def lower_error(err_path, name, model_path, torch_path, stage1_path):
    err = read_lines(err_path)
    torch_lines = read_lines(torch_path)
    nodes = None
    listed_onnx = False

    # 1. ONNX ops that convert-torch-onnx-to-torch left alone.
    if os.path.exists(stage1_path):
        s1 = read_lines(stage1_path)
        locs = locations(s1)
        left = {}  # op -> [count, first torch-IR line]
        for l in s1:
            m = re.search(r'torch\.operator "onnx\.([\w.]+)"', l)
            if not m:
                continue
            lm = re.search(r"loc\((#loc\d*)\)\s*$", l)
            line = locs.get(lm.group(1)) if lm else None
            if line is None:
                lm = re.search(r'loc\("[^"]*":(\d+):\d+\)\s*$', l)
                line = int(lm.group(1)) if lm else 0
            e = left.setdefault(m.group(1), [0, line])
            e[0] += 1
        if left:
            nodes = onnx_nodes(model_path)
        for op, (count, line) in sorted(left.items(), key=lambda kv: kv[1][1]):
            domain, node = nodes.get(op, ("", ""))
            extra = []
            if domain and domain != "ai.onnx":
                extra.append("custom domain '%s'" % domain)
            extra.append("%d use%s" % (count, "" if count == 1 else "s"))
            if node:
                extra.append("first node '%s'" % node)
            problem(name, "ONNX op '%s' could not be converted (%s; first at line %d of the torch IR: %s)"
                    % (op, ", ".join(extra), line, torch_line(torch_lines, line)))
            listed_onnx = True

    # 2. The diagnostics themselves.
    seen = set()
    for l in err:
        m = re.match(r"^(?:(.*?):(\d+):\d+|<unknown>:0): error: (.*)$", l)
        if not m:
            continue
        line = int(m.group(2)) if m.group(2) else 0
        msg = m.group(3)
        lm = re.match(r"failed to legalize operation '([\w.]+)'", msg)
        if lm and lm.group(1) == "torch.operator":
            if listed_onnx:
                continue
            om = re.search(r'name = "onnx\.([\w.]+)"', msg)
            key = ("onnx", om.group(1) if om else msg)
            if key in seen:
                continue
            seen.add(key)
            uses = sum('torch.operator "onnx.%s"' % key[1] in l for l in torch_lines)
            problem(name, "ONNX op '%s' could not be converted (%d use%s in the model; first failing at line %d of the torch IR: %s)"
                    % (key[1], uses, "" if uses == 1 else "s", line, torch_line(torch_lines, line)))
            continue
        if lm:
            op = lm.group(1)
            src = torch_lines[line - 1] if 0 < line <= len(torch_lines) else ""
            om = re.search(r'torch\.operator "onnx\.([\w.]+)"', src)
            key = ("torch", op, om.group(1) if om else None)
            if key in seen:
                continue
            seen.add(key)
            why = ""
            if re.search(r"vtensor<\[[^\]]*\?", msg):
                why = " (its shapes are not static)"
            if om:
                problem(name, "ONNX op '%s' became '%s', which could not be lowered to linalg%s (first at line %d of the torch IR: %s)"
                        % (om.group(1), op, why, line, snippet(src)))
            elif line:
                problem(name, "torch op '%s' could not be lowered to linalg%s (first at line %d of the torch IR: %s)"
                        % (op, why, line, torch_line(torch_lines, line)))
            else:
                problem(name, "torch op '%s' could not be lowered to linalg%s (%s)" % (op, why, snippet(msg.split(": ", 1)[-1])))
            continue
        key = ("other", msg)
        if key in seen:
            continue
        seen.add(key)
        where = " (at line %d of the torch IR: %s)" % (line, torch_line(torch_lines, line)) if line else ""
        problem(name, "torch-mlir's lowering failed: %s%s" % (snippet(msg, 160), where))

    if any("Stack dump" in l or "PLEASE submit a bug report" in l or "Please report issues" in l for l in err):
        problem(name, "iree-opt crashed while lowering the torch IR (an iree-opt bug; ops with data-dependent output shapes, such as Unique or NonZero, are a known trigger)")
    if not problems:
        tail = [l for l in err if l.strip()][:3] or ["no message"]
        problem(name, "iree-opt failed: %s" % snippet(" | ".join(tail), 200))
    if any("of the torch IR" in p for p in problems) and not os.environ.get("IMPORT_ONNX_KEPT_TORCH"):
        problems.append("%s: %s: note: line numbers refer to the importer's torch IR; write it with --keep-torch FILE" % (PROG, name))
    return finish()


# -------------------------------------------------------------------- output

OP_RE = re.compile(r'^\s*(?:%[\w.$#-]+(?::\d+)?(?:\s*,\s*%[\w.$#-]+(?::\d+)?)*\s*=\s*)?"?([A-Za-z_][\w$]*)\.([\w$.]+)"?[\s({<:]')
DYN_RE = re.compile(r"\b(?:tensor|memref)<(?:\d+x)*\?x[^>]*>")
FUNC_RE = re.compile(r"^\s*func\.func\s+(?:(private|public|nested)\s+)?@([\w$.-]+)\s*\(")


def check_output(path, name):
    lines = read_lines(path)
    funcs = []  # (visibility, name, line number, text)
    first_bad = {}  # dialect -> (op, line, count)
    torch_types = None
    dyn_body = []
    in_resources = False
    for n, l in enumerate(lines, 1):
        if l.startswith("{-#"):
            in_resources = True
        if in_resources:
            if l.startswith("#-}"):
                in_resources = False
            continue
        fm = FUNC_RE.match(l)
        if fm:
            funcs.append((fm.group(1) or "public", fm.group(2), n, l))
        m = OP_RE.match(l + " ")
        if m and not l.lstrip().startswith("#"):
            dialect, op = m.group(1), m.group(1) + "." + m.group(2)
            if dialect not in ALLOWED_DIALECTS:
                e = first_bad.get(dialect)
                first_bad[dialect] = (op, n, 1) if e is None else (e[0], e[1], e[2] + 1)
        if torch_types is None and re.search(r"!torch\.|!torch_c\.", l):
            torch_types = n
        if not fm and DYN_RE.search(l):
            dyn_body.append(n)

    for dialect, (op, n, count) in sorted(first_bad.items(), key=lambda kv: kv[1][1]):
        what = REJECTED_DIALECTS.get(dialect, "dialect '%s' is not one chlast reads (allowed: %s)" % (dialect, ", ".join(sorted(ALLOWED_DIALECTS))))
        problem(name, "%d %s op%s left in the output (%s), first at line %d: %s"
                % (count, dialect, "" if count == 1 else "s", what, n, snippet(lines[n - 1])))
    if torch_types is not None and "torch" not in first_bad and "torch_c" not in first_bad:
        problem(name, "torch type left in the output (first at line %d: %s)" % (torch_types, snippet(lines[torch_types - 1])))

    public = [f for f in funcs if f[0] == "public"]
    if len(public) != 1:
        names = ", ".join("@" + f[1] for f in public) or "none"
        problem(name, "expected exactly one public function, found %d (%s)" % (len(public), names))
    for vis, fname, n, text in public:
        sig = text
        k = n
        while not sig.rstrip().endswith("{") and k < len(lines):  # signature over several lines
            sig += " " + lines[k]
            k += 1
        sig = re.sub(r"\s*\{\s*$", "", sig)
        sig = re.sub(r"\sattributes\s*\{.*$", "", sig)
        args, _, results = sig.partition("->")
        for am in re.finditer(r"(%[\w$.-]+)\s*:\s*((?:tensor|memref)<[^>]*>)", args):
            if "?" in am.group(2):
                problem(name, "dynamic dimension left in the signature of @%s: argument %s has type %s: %s"
                        % (fname, am.group(1), am.group(2), HINT_FIXED))
        for i, rm in enumerate(re.finditer(r"(?:tensor|memref)<[^>]*>", results)):
            if "?" in rm.group(0):
                problem(name, "dynamic dimension left in the signature of @%s: result %d has type %s: %s"
                        % (fname, i, rm.group(0), HINT_FIXED))
    if dyn_body:
        n = dyn_body[0]
        problem(name, "dynamic dimension left in %d line%s of the body, first at line %d of the output: %s "
                "(chlast needs static shapes; ops such as NonZero or Unique have data-dependent ones)"
                % (len(dyn_body), "" if len(dyn_body) == 1 else "s", n, snippet(lines[n - 1])))
    return finish()


def main(argv):
    cmds = {
        "model": (check_model, 2),
        "import": (run_import, 3),
        "lower-error": (lower_error, 5),
        "output": (check_output, 2),
    }
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 < cmds[argv[1]][1] or (
            argv[1] != "import" and len(argv) - 2 != cmds[argv[1]][1]):
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
