#!/usr/bin/env python3
"""The GPU check (issue 13), run from a bundle made by scripts/gpu-bundle.sh.

On the GPU machine (NVIDIA driver, Python with PyTorch and cuDNN 9 in its
packages; no LLVM, no network), for every model of the bundle:

1. chlast-run --target cuda runs the imported program, the channels-last
   program (--conv-channels-last) and the per-conv one on the model's
   inputs, checks each output against the reference (PyTorch's own output
   for the corpus, the CPU runner's for the example models) and times it
   (--iterations, median);
2. PyTorch runs the same network (the corpus generator's module, same
   seeded weights): eager NCHW, eager channels_last(_3d), and torch.compile
   with and without channels-last, timed with CUDA events, its output
   checked against the same reference.

It writes gpu-check.md (a table) and gpu-check.json to --out, with the GPU
name, driver, CUDA, cuDNN and PyTorch versions, and stops starting new work
when --budget seconds have passed. With --cpu it runs the same steps with
chlast-run --target cpu-cudnn and PyTorch (if importable) on the CPU: the
self-test of everything up to the GPU.

    python3 gpu_check.py --bundle target/gpu-bundle --out /tmp/gpu-out
    python3 gpu_check.py --bundle target/gpu-bundle --out /tmp/cpu-out --cpu --models resnet_chain2d
"""

import argparse
import glob
import json
import lzma
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

VARIANTS = ["original", "chlast", "perconv"]
TORCH_VARIANTS = ["eager", "eager_cl", "compile", "compile_cl"]
TOLERANCE = ["--rtol", "1e-3", "--atol", "1e-3"]


def log(message):
    print(message, flush=True)


def library_dirs():
    """Folders holding libcudnn.so.9 and the CUDA libraries PyTorch ships,
    plus the driver's (for libcuda.so.1)."""
    dirs = []
    for base in sys.path:
        dirs += sorted(glob.glob(os.path.join(base, "nvidia", "*", "lib")))
    dirs += [d for d in ("/usr/local/nvidia/lib64", "/usr/local/nvidia/lib") if os.path.isdir(d)]
    seen = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def chlast_run_binary(bundle):
    """Unpacks bin/chlast-run.xz once; returns the executable's path."""
    path = os.path.join(bundle, "bin", "chlast-run")
    packed = path + ".xz"
    if not os.path.exists(path) or (
        os.path.exists(packed) and os.path.getmtime(packed) > os.path.getmtime(path)
    ):
        with lzma.open(packed) as src, open(path + ".tmp", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(path + ".tmp", 0o755)
        os.replace(path + ".tmp", path)
    return path


def environment(cpu):
    info = {"host": os.uname().nodename, "mode": "cpu self-test" if cpu else "gpu"}
    if shutil.which("nvidia-smi"):
        q = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True, text=True,
        )
        info["nvidia_smi"] = q.stdout.strip() or q.stderr.strip()
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception as e:  # no PyTorch, or a broken one: the chlast columns still run
        info["torch"] = f"unavailable ({type(e).__name__})"
    return info


NUMBER = r"([0-9.eE+-]+|inf|NaN)"


PASSES = {
    "original": None,
    "chlast": "conv-channels-last",
    "perconv": "conv-channels-last{strategy=per-conv}",
}


def run_chlast(binary, model, variant, target, iterations, timeout, env, save=None):
    """One chlast-run of MODEL's VARIANT (made by --passes): its outputs
    checked against the references (when the model has some) and timed."""
    cmd = [binary, model["file"], "--target", target]
    if PASSES[variant]:
        cmd += ["--passes", PASSES[variant]]
    if target == "cuda":
        cmd += ["--chip", model.get("chip", "sm_90")]
    else:
        cmd += ["--opt-level", "0"]  # the self-test: compile fast
    if model.get("inputs"):
        cmd += ["--inputs", ",".join(model["inputs"])]
    else:
        cmd += ["--seed", str(model.get("seed", 0))]
    if model["references"]:
        cmd += ["--expect", ",".join(model["references"])] + TOLERANCE
    if save:
        cmd += ["--save-outputs", save]
    cmd += ["--iterations", str(iterations)]
    start = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": round(time.time() - start, 1)}
    out = p.stdout + p.stderr
    row = {"seconds": round(time.time() - start, 1), "exit": p.returncode}
    checks = re.findall(r"^result\d+ vs .*?max abs error " + NUMBER + r".*?(PASS|FAIL)", out, re.M)
    if checks:
        row["max_abs_error"] = max(float(c[0]) for c in checks)
        row["matches"] = all(c[1] == "PASS" for c in checks)
    timing = re.search(r"min " + NUMBER + r" ms, median " + NUMBER + r" ms over (\d+) runs", out)
    if timing:
        row["min_ms"] = float(timing.group(1))
        row["median_ms"] = float(timing.group(2))
    graph = re.search(
        r"^CUDA graph: min " + NUMBER + r" ms, median " + NUMBER + r" ms over \d+ runs.*?(PASS|FAIL)",
        out,
        re.M,
    )
    if graph:
        row["graph_median_ms"] = float(graph.group(2))
        row["graph_matches"] = graph.group(3) == "PASS"
    elif "CUDA graph: not captured" in out:
        row["graph"] = out.split("CUDA graph: not captured:", 1)[1].strip().splitlines()[0]
    row["status"] = "ok" if p.returncode == 0 else "fail"
    if p.returncode != 0:
        row["message"] = "\n".join(out.strip().splitlines()[-6:])
    return row


def torch_rows(name, model_info, cpu, iterations, variants, deadline):
    """PyTorch on the corpus model NAME, for each of VARIANTS (eager,
    channels-last, compiled)."""
    import numpy as np
    import torch

    sys.path.insert(0, model_info["generator_dir"])
    import generate  # models/real/generate.py, from the bundle

    device = "cpu" if cpu else "cuda"
    # Full f32 convs and matmuls, as chlast's cuDNN calls compute them
    # (PyTorch's default lets cuDNN use TF32 on this GPU).
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        model, _, _, _ = generate.build_model(name)
    except Exception as e:  # diffusers missing or incompatible: say so, go on
        message = f"building the PyTorch model failed: {type(e).__name__}: {e}"[:300]
        return {variant: {"status": "fail", "message": message} for variant in variants}
    x = torch.from_numpy(np.load(model_info["inputs"][0]))
    ref = np.load(model_info["references"][0])
    cl = torch.channels_last if x.dim() == 4 else torch.channels_last_3d
    rows = {}
    for variant in variants:
        if time.time() > deadline:
            rows[variant] = {"status": "skipped", "message": "time budget spent"}
            continue
        try:
            m = model.to(device)
            xi = x.to(device)
            if variant.endswith("_cl"):
                m = m.to(memory_format=cl)
                xi = xi.contiguous(memory_format=cl)
            if variant.startswith("compile"):
                m = torch.compile(m)
            start = time.time()
            with torch.no_grad():
                y = m(xi)
                first = time.time() - start
                for _ in range(2):
                    m(xi)
                times = []
                for _ in range(iterations):
                    if device == "cuda":
                        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                        a.record()
                        m(xi)
                        b.record()
                        torch.cuda.synchronize()
                        times.append(a.elapsed_time(b))
                    else:
                        t = time.perf_counter()
                        m(xi)
                        times.append((time.perf_counter() - t) * 1e3)
            err = float(np.abs(y.float().cpu().numpy() - ref).max())
            scale = float(np.abs(ref).max()) or 1.0
            rows[variant] = {
                "status": "ok",
                "median_ms": statistics.median(times),
                "min_ms": min(times),
                "first_call_s": round(first, 2),
                "max_abs_error": err,
                "matches": err <= 2e-3 * scale,
            }
        except Exception as e:  # a variant PyTorch cannot run is reported, not fatal
            rows[variant] = {"status": "fail", "message": f"{type(e).__name__}: {e}"[:300]}
    return rows


def torch_available(cpu):
    try:
        import numpy  # noqa: F401
        import torch
    except ImportError as e:
        log(f"gpu-check: PyTorch columns skipped: {e}")
        return False
    if not cpu and not torch.cuda.is_available():
        log("gpu-check: PyTorch columns skipped: torch.cuda.is_available() is false")
        return False
    return True


def unpack_wheels(bundle):
    """diffusers travels as a wheel: unpack it once and import from there."""
    import zipfile

    site = os.path.join(bundle, "pytorch", "site")
    for wheel in glob.glob(os.path.join(bundle, "pytorch", "wheels", "*.whl")):
        marker = os.path.join(site, os.path.basename(wheel) + ".unpacked")
        if not os.path.exists(marker):
            zipfile.ZipFile(wheel).extractall(site)
            open(marker, "w").close()
    if os.path.isdir(site):
        sys.path.insert(0, site)


def fmt_ms(row):
    if not row:
        return "-"
    if row.get("status") not in ("ok", "fail") or "median_ms" not in row:
        return row.get("status", "-")
    return f"{row['median_ms']:.3f}"


def graph_ms(row):
    """The CUDA graph replay time of a chlast row, or why there is none."""
    if not row or "graph_median_ms" not in row:
        return "not captured" if row and "graph" in row else "-"
    return f"{row['graph_median_ms']:.3f}" + ("" if row.get("graph_matches") else " (WRONG)")


def check_cell(row):
    if not row or "matches" not in row:
        return (row or {}).get("status", "-")
    return ("ok" if row["matches"] else "WRONG") + f" ({row['max_abs_error']:.1e})"


def table(results, info):
    lines = [
        f"GPU check, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        + ", ".join(f"{k} {v}" for k, v in info.items() if v is not None),
        "",
        "Median time per run in ms (chlast-run --iterations: device time of a whole run, CUDA events; "
        "PyTorch: CUDA events, TF32 off so that both compute f32 convs). Check: output vs the "
        "reference (PyTorch's CPU output for the corpus, the CPU runner's for the example "
        "models), max abs error.",
        "",
        "chlast graph: the same channels-last run captured once as a CUDA graph and replayed "
        "(no host code or launch overhead per kernel; its outputs checked against a plain run).",
        "",
        "| model | chlast original | chlast channels-last | chlast graph | chlast per-conv "
        "| check (channels-last) "
        "| torch eager | torch eager CL | torch.compile | torch.compile CL | CL vs torch eager |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        c, t = r["chlast"], r.get("torch", {})
        speedup = "-"
        if "median_ms" in c.get("chlast", {}) and "median_ms" in t.get("eager", {}):
            speedup = f"{t['eager']['median_ms'] / c['chlast']['median_ms']:.2f}x"
        lines.append(
            f"| {name} | {fmt_ms(c.get('original'))} | {fmt_ms(c.get('chlast'))} | "
            f"{graph_ms(c.get('chlast'))} | "
            f"{fmt_ms(c.get('perconv'))} | {check_cell(c.get('chlast'))} | "
            + " | ".join(fmt_ms(t.get(v)) for v in TORCH_VARIANTS)
            + f" | {speedup} |"
        )
    problems = [
        f"- {name} {side} {variant}: {row.get('status')}: {row.get('message', '')}"
        for name, r in results.items()
        for side in ("chlast", "torch")
        for variant, row in r.get(side, {}).items()
        if row.get("status") not in ("ok", "skipped")
        or row.get("matches") is False
        or row.get("graph_matches") is False
    ]
    if problems:
        lines += ["", "Problems:", ""] + problems
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=420, help="seconds before no new work starts")
    ap.add_argument("--cpu", action="store_true", help="self-test: cpu-cudnn and PyTorch on the CPU")
    ap.add_argument("--models", nargs="*", help="only these models")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()

    start = time.time()
    deadline = start + args.budget
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        manifest = json.load(f)
    env = dict(os.environ)
    dirs = library_dirs()
    env["LD_LIBRARY_PATH"] = ":".join(dirs + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
    binary = chlast_run_binary(args.bundle)
    info = environment(args.cpu)
    info["chlast"] = manifest.get("version")
    log(f"gpu-check: {json.dumps(info)}")
    log(f"gpu-check: library folders: {dirs}")

    target = "cpu-cudnn" if args.cpu else "cuda"
    iterations = 1 if args.cpu else args.iterations
    models = [m for m in manifest["models"] if not args.models or m["name"] in args.models]

    # Most telling first, in case the budget runs out: the real video and
    # image VAE decoders, then the large examples, the other real networks,
    # the small examples.
    def priority(m):
        vae = "vae" in m["name"]
        if m.get("torch"):
            return 0 if vae else 2
        return (1 if vae else 3) if m["name"].startswith("large_") else 4

    models.sort(key=priority)
    for m in models:
        m["file"] = os.path.join(args.bundle, m["file"])
        m["inputs"] = [os.path.join(args.bundle, p) for p in m.get("inputs", [])]
        m["references"] = [os.path.join(args.bundle, p) for p in m["references"]]
        m["generator_dir"] = os.path.join(args.bundle, "pytorch")
    results = {m["name"]: {"chlast": {}} for m in models}

    def save():
        with open(os.path.join(args.out, "gpu-check.json"), "w") as f:
            json.dump({"environment": info, "results": results}, f, indent=1)
        with open(os.path.join(args.out, "gpu-check.md"), "w") as f:
            f.write(table(results, info))

    def chlast_phase(variant):
        for m in models:
            if time.time() > deadline:
                results[m["name"]]["chlast"][variant] = {"status": "skipped", "message": "time budget spent"}
                continue
            outputs = None
            if variant == "original" and not m["references"]:
                outputs = os.path.join(args.out, "outputs", m["name"])
            left = max(30, deadline - time.time())
            row = run_chlast(binary, m, variant, target, iterations, min(left, 240), env, outputs)
            if outputs and row["status"] == "ok":
                m["references"] = sorted(glob.glob(os.path.join(outputs, "result*.npy")))
                row["reference_for_rewrites"] = True
            results[m["name"]]["chlast"][variant] = row
            log(f"gpu-check: {m['name']} {variant}: {json.dumps(row)}")
            save()

    torch_ok = not args.no_torch and torch_available(args.cpu)
    if torch_ok:
        unpack_wheels(args.bundle)

    def torch_phase(variants):
        if not torch_ok:
            return
        # The video VAE decoders first: the comparison chlast exists to win.
        for m in sorted((m for m in models if m.get("torch")), key=lambda m: "vae" not in m["name"]):
            try:
                rows = torch_rows(
                    m["name"], m, args.cpu, 3 if args.cpu else args.iterations, variants, deadline
                )
            except Exception as e:  # never lose the chlast columns to a PyTorch problem
                rows = {v: {"status": "fail", "message": f"{type(e).__name__}: {e}"[:300]} for v in variants}
            results[m["name"]].setdefault("torch", {}).update(rows)
            log(f"gpu-check: {m['name']} torch: {json.dumps(rows)}")
            save()

    # In order of importance, while time remains: the imported program
    # (models without references get them from its outputs) and the
    # channels-last one; PyTorch eager; per-conv; torch.compile.
    try:
        chlast_phase("original")
        chlast_phase("chlast")
        torch_phase(["eager", "eager_cl"])
        chlast_phase("perconv")
        if not args.cpu and not args.no_compile:
            torch_phase(["compile", "compile_cl"])
    finally:
        save()  # whatever happened, the table so far reaches $OUT
    save()
    log(open(os.path.join(args.out, "gpu-check.md")).read())
    log(f"gpu-check: done in {time.time() - start:.0f} s")
    wrong = [
        n for n, r in results.items()
        for row in r["chlast"].values() if row.get("matches") is False or row.get("status") == "fail"
    ]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
