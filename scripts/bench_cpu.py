#!/usr/bin/env python3
"""CPU run-time benchmark (issue 14), side by side in one run: for every
example model and every corpus model (models/real), the median of warm
runs on the same inputs with the same thread count of

  (a) chlast, imported program: `chlast-run --target cpu` (convolutions on
      oneDNN; NCHW calls run in oneDNN's blocked layout with reorders: the
      fair channels-first baseline);
  (b) chlast after the layout pass: `--passes conv-channels-last`;
  (c) PyTorch eager on the CPU, the better of NCHW and channels_last(_3d)
      (corpus models: the corpus generator's module, same weights);
  (d) onnxruntime (all graph optimizations) on the ONNX export of the same
      module (corpus models),

with where (b)'s time goes (oneDNN convolutions, reorders, the rest) and
chlast's compile time. Outputs are checked: chlast's and onnxruntime's
against PyTorch's (models/real/NAME.torch.npy), PyTorch's own against it
too; the example models have no PyTorch module (columns c and d empty).
Writes a markdown table to stdout and --json.

PyTorch and onnxruntime run in a child process per model (`--framework-worker
NAME`), so that no thread pool of theirs is alive (spinning on the same
cores) while chlast is timed: in one process, the small corpus models ran
up to 1.8x slower under chlast-run right after PyTorch had run.

Run through scripts/bench-cpu.sh, which makes the Python environment.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = (
    sorted(glob.glob(os.path.join(ROOT, "examples/models/*.mlir")))
    + sorted(glob.glob(os.path.join(ROOT, "examples/models/large/*.mlir")))
    + [os.path.join(ROOT, "examples/vae_resblock3d.mlir"),
       os.path.join(ROOT, "examples/imported/vae_decoder_block2d.torch-mlir.mlir")]
)
CORPUS = ["sd_vae_decoder", "wan_vae_decoder", "ltx_vae_decoder", "resnet50", "mobilenet_v2"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def chlast(run, model, inputs, expect, passes, args):
    """One chlast-run timing: median ms, profile and compile seconds."""
    cmd = [run, model, "--target", "cpu", "--iterations", str(args.iterations),
           "--threads", str(args.threads), "--opt-level", str(args.opt_level)]
    cmd += ["--inputs", inputs] if inputs else ["--seed", "1"]
    if expect:
        cmd += ["--expect", expect]
    if passes:
        cmd += ["--passes", passes]
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True)
    text = out.stdout + out.stderr
    row = {"wall_s": round(time.time() - start, 1), "status": "ok" if out.returncode == 0 else "fail"}
    if out.returncode != 0:
        row["message"] = text.strip().splitlines()[-1][:300] if text.strip() else f"exit {out.returncode}"
    m = re.search(r"median ([0-9.]+) ms", text)
    if m:
        row["median_ms"] = float(m.group(1))
    m = re.search(r"convolutions ([0-9.]+) \+ reorders ([0-9.]+) \+ rest ([0-9.]+)", text)
    if m:
        row["conv_ms"], row["reorder_ms"], row["rest_ms"] = map(float, m.groups())
    m = re.search(r"compile: ([0-9.]+) s", text)
    if m:
        row["compile_s"] = float(m.group(1))
    m = re.search(r"convolutions on oneDNN: (\d+) \((\d+) with x/y reordered; ([^)]*)\)", text)
    if m:
        row["convs"], row["reordered"], row["kernels"] = int(m.group(1)), int(m.group(2)), m.group(3)
    m = re.search(r"max abs error ([0-9.e+-]+)", text)
    if m:
        row["max_abs_error"] = float(m.group(1))
    return row


def median_ms(fn, iterations):
    fn()
    fn()
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def pytorch_and_ort(name, args):
    """(c) and (d) for a corpus model, with their errors against PyTorch's
    stored output."""
    import numpy as np
    import torch

    sys.path.insert(0, os.path.join(ROOT, "models/real"))
    import generate

    torch.set_num_threads(args.threads)
    x = torch.from_numpy(np.load(os.path.join(ROOT, f"models/real/{name}.input.npy")))
    ref = np.load(os.path.join(ROOT, f"models/real/{name}.torch.npy"))
    model, _, _, _ = generate.build_model(name)
    rows = {}
    cl = torch.channels_last if x.dim() == 4 else torch.channels_last_3d
    with torch.no_grad():
        for variant in ("torch_nchw", "torch_channels_last"):
            m, xi = model, x
            try:
                if variant == "torch_channels_last":
                    # (A 3-D decoder with 2-D parts, Wan's, cannot be
                    # converted whole: that variant fails alone.)
                    m = model.to(memory_format=cl)
                    xi = x.contiguous(memory_format=cl)
                y = m(xi).float().numpy()
            except Exception as e:  # noqa: BLE001 - reported in the table
                rows[variant] = {"status": "fail", "message": f"{type(e).__name__}: {e}"[:300]}
                continue
            rows[variant] = {
                "median_ms": median_ms(lambda: m(xi), args.iterations),
                "max_abs_error": float(np.abs(y - ref).max()),
            }
        model = model.to(memory_format=torch.contiguous_format)
        for patch in generate.MODELS[name][1]:
            patch(model)
    try:
        import onnxruntime as ort

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, name + ".onnx")
            with torch.no_grad():
                torch.onnx.export(model, (x,), path, dynamo=False, opset_version=generate.OPSET,
                                  input_names=["input"], output_names=["output"],
                                  do_constant_folding=True)
            generate.fix_negative_perms(path)
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = args.threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            feed = {"input": x.numpy()}
            y = session.run(None, feed)[0]
            rows["onnxruntime"] = {
                "median_ms": median_ms(lambda: session.run(None, feed), args.iterations),
                "max_abs_error": float(np.abs(y - ref).max()),
                "version": ort.__version__,
            }
    except Exception as e:  # noqa: BLE001 - reported in the table
        rows["onnxruntime"] = {"status": "fail", "message": f"{type(e).__name__}: {e}"[:300]}
    rows["torch_version"] = torch.__version__
    return rows


def fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def framework_rows(name, args):
    """(c) and (d) for corpus model `name`, measured by a child process
    (`--framework-worker`) that exits before chlast runs again."""
    cmd = [sys.executable, os.path.abspath(__file__), "--framework-worker", name,
           "--threads", str(args.threads), "--iterations", str(args.iterations)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        message = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"torch_nchw": {"status": "fail", "message": message[:300]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--framework-worker", metavar="NAME",
                    help="internal: print (c) and (d) for corpus model NAME as JSON and exit")
    ap.add_argument("--chlast-run", default=os.path.join(ROOT, "target/release/chlast-run"))
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--opt-level", type=int, default=2)
    ap.add_argument("--models", help="comma-separated names (default: all)")
    ap.add_argument("--no-torch", action="store_true", help="chlast columns only")
    ap.add_argument("--json", help="write the rows here too")
    args = ap.parse_args()
    if args.framework_worker:
        try:
            rows = pytorch_and_ort(args.framework_worker, args)
        except Exception as e:  # noqa: BLE001 - reported in the table
            rows = {"torch_nchw": {"status": "fail", "message": f"{type(e).__name__}: {e}"[:300]}}
        print(json.dumps(rows))
        return
    started = time.time()
    wanted = set(args.models.split(",")) if args.models else None
    rows = []
    items = [(os.path.relpath(p, os.path.join(ROOT, "examples")).removesuffix(".mlir"), p, None)
             for p in EXAMPLES] + [(n, os.path.join(ROOT, f"models/real/{n}.mlirbc"), n) for n in CORPUS]
    for label, path, corpus in items:
        short = label.split("/")[-1].removesuffix(".torch-mlir")
        if wanted and short not in wanted and label not in wanted:
            continue
        if not os.path.exists(path):
            continue
        log(f"bench-cpu: {label}")
        inputs = expect = None
        if corpus:
            inputs = os.path.join(ROOT, f"models/real/{corpus}.input.npy")
            expect = os.path.join(ROOT, f"models/real/{corpus}.torch.npy")
        row = {"model": label,
               "imported": chlast(args.chlast_run, path, inputs, expect, None, args),
               "channels_last": chlast(args.chlast_run, path, inputs, expect, "conv-channels-last", args)}
        if corpus and not args.no_torch:
            row.update(framework_rows(corpus, args))
        rows.append(row)

    print(f"CPU benchmark, {datetime.date.today()}: {cpu_model()}, {args.threads} threads, "
          f"median of {args.iterations} warm runs, chlast at -O{args.opt_level}; "
          f"took {time.time() - started:.0f} s\n")
    print("| model | (a) chlast imported ms | (b) chlast channels-last ms | (c) PyTorch eager ms | "
          "(d) onnxruntime ms | a/b | c/b | d/b | (b) convs / reorders / rest ms | (b) oneDNN kernels | compile s (a, b) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        a, b = row["imported"], row["channels_last"]
        candidates = [(row[k]["median_ms"], k.removeprefix("torch_")) for k in ("torch_nchw", "torch_channels_last")
                      if "median_ms" in row.get(k, {})]
        c, c_which = min(candidates) if candidates else (None, "")
        d = row.get("onnxruntime", {}).get("median_ms")
        bm = b.get("median_ms")
        ratio = lambda x: fmt(x / bm, 2) if x is not None and bm else "—"
        profile = (f"{fmt(b.get('conv_ms'))} / {fmt(b.get('reorder_ms'))} / {fmt(b.get('rest_ms'))}"
                   if "conv_ms" in b else "—")
        failed = [k for k in ("imported", "channels_last") if row[k]["status"] != "ok"]
        note = f" (FAILED: {', '.join(failed)})" if failed else ""
        print(f"| {row['model']}{note} | {fmt(a.get('median_ms'), 2)} | {fmt(bm, 2)} | "
              f"{fmt(c, 2)}{' ' + c_which if c_which else ''} | {fmt(d, 2)} | {ratio(a.get('median_ms'))} | "
              f"{ratio(c)} | {ratio(d)} | {profile} | {b.get('kernels', '—')} | "
              f"{fmt(a.get('compile_s'))}, {fmt(b.get('compile_s'))} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": str(datetime.date.today()), "cpu": cpu_model(), "threads": args.threads,
                       "iterations": args.iterations, "rows": rows}, f, indent=1)
    failed = [r["model"] for r in rows if any(r[k]["status"] != "ok" for k in ("imported", "channels_last"))]
    if failed:
        log(f"bench-cpu: chlast failed on {', '.join(failed)} (messages in --json)")
        sys.exit(1)


if __name__ == "__main__":
    main()
