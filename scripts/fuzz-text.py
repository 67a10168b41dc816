#!/usr/bin/env python3
"""Text-mutation fuzzer for chlast-opt: no crash, no hang, only a located
error or valid output.

Takes the lit inputs of the pass and materialization tests (and the example
models), cuts them at `// -----`, mutates one chunk a little (drops,
duplicates or swaps lines, changes numbers, inserts or deletes characters,
truncates), and runs

    chlast-opt --conv-channels-last --chlast-materialize-layouts CHUNK -o OUT

on it. A case passes when chlast-opt exits 0 (the output is then parsed
again) or exits 1 with an error located at `file:line:col`. It fails on a
signal (a crash or abort), another exit status, a Rust panic or LLVM stack
dump, an unlocated error, or a run past the time limit (a hang). A failure
that Debian's stock mlir-opt shows on the same input too (it crashes, or its
output does not parse again, or valgrind finds its parser using freed
memory on it), or that chlast-opt shows while only parsing and verifying with
no chlast code on the stack, is an upstream MLIR bug: counted and saved apart,
not as chlast's. Failing inputs are saved with chlast-opt's stderr
under --out, and the exit status is 1 when chlast itself failed.

    scripts/fuzz-text.py --chlast-opt target/debug/chlast-opt --seed 1 --count 200
    scripts/fuzz-text.py --chlast-opt target/debug/chlast-opt --minutes 30 --out fuzz-failures/

Standard library only; deterministic for a given seed and input set.
"""

import argparse
import glob
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = [
    "test/Transforms/conv-channels-last/*.mlir",
    "test/Transforms/materialize-layouts/*.mlir",
    "examples/*.mlir",
    "examples/models/*.mlir",
]
NUMBER = re.compile(r"(?<![#%\w])-?\d+")
LOCATED = re.compile(r":\d+:\d+: error:|loc\(")
SPECIAL = ["0", "1", "-1", "2", "3", "7", "64", "65536", "2147483648", "-9223372036854775808"]
PUNCTUATION = "{}[]()<>:,=%#@\"x0 \n-"


def chunks():
    """Every `// -----` chunk of the inputs that holds some IR, in a fixed order."""
    out = []
    for pattern in INPUTS:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for i, chunk in enumerate(text.split("\n// -----")):
                code = [l for l in chunk.splitlines() if l.strip() and not l.lstrip().startswith("//")]
                if len(code) >= 3 and len(chunk) < 200_000:
                    out.append((f"{os.path.relpath(path, ROOT)}#{i}", chunk))
    return out


def mutate(text, rng):
    """One to three small random edits of `text`."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        kind = rng.randrange(7)
        if kind == 0 and len(lines) > 1:  # drop a line
            del lines[rng.randrange(len(lines))]
        elif kind == 1:  # duplicate a line
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
        elif kind == 2 and len(lines) > 1:  # swap two lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:  # change a number
            joined = "\n".join(lines)
            numbers = list(NUMBER.finditer(joined))
            if numbers:
                m = rng.choice(numbers)
                joined = joined[: m.start()] + rng.choice(SPECIAL) + joined[m.end():]
            lines = joined.split("\n")
        elif kind == 4:  # insert a character
            joined = "\n".join(lines)
            at = rng.randrange(len(joined) + 1)
            lines = (joined[:at] + rng.choice(PUNCTUATION) + joined[at:]).split("\n")
        elif kind == 5 and text:  # delete a few characters
            joined = "\n".join(lines)
            at = rng.randrange(len(joined))
            lines = (joined[:at] + joined[at + rng.randint(1, 8):]).split("\n")
        elif kind == 6:  # truncate
            joined = "\n".join(lines)
            lines = joined[: rng.randrange(len(joined) + 1)].split("\n")
        text = "\n".join(lines)
    return text


def run(chlast_opt, args, timeout):
    try:
        p = subprocess.run([chlast_opt, *args], capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"


def check(chlast_opt, path, out_path, timeout):
    """None when the case passes, else why it failed."""
    code, err = run(chlast_opt, ["--conv-channels-last", "--chlast-materialize-layouts",
                                 path, "-o", out_path], timeout)
    if code is None:
        return "hang: " + err
    if "panicked" in err or "Stack dump" in err or "PLEASE submit a bug report" in err:
        return f"crash (exit {code})"
    if code < 0:
        return f"killed by signal {-code}"
    if code == 1:
        if not LOCATED.search(err):
            return "error without a location"
        if os.path.exists(out_path) and os.path.getsize(out_path) > 0:
            return "error, but output was written"
        return None
    if code != 0:
        return f"exit status {code}"
    again, err2 = run(chlast_opt, [out_path, "-o", os.devnull], timeout)
    if again != 0:
        return "output does not parse again: " + err2.strip().splitlines()[0] if err2.strip() else "output does not parse again"
    return None


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llvm_prefix import llvm_prefix  # noqa: E402


MLIR_OPT = os.path.join(llvm_prefix(), "bin", "mlir-opt")


VALGRIND = "/usr/bin/valgrind"
# Frames of chlast's own code in a stack dump (the C++ dialect and passes,
# the Rust crate); the binary's name and its main wrapper (chlastOptMain,
# which calls upstream's MlirOptMain) do not count.
CHLAST_FRAME = re.compile(r"mlir::chlast::|\bchlast::|Chlast[A-Z]")


def upstream_fails(chlast_opt, path, work, timeout, why):
    """Whether the failure is upstream MLIR's: stock mlir-opt crashes on
    `path` or prints it in a form that does not parse again; or, for a
    crash, stock mlir-opt's parser writes or reads freed memory on it
    (valgrind: a use-after-free that crashes only with some heap layouts);
    or chlast-opt crashes on it with no pass at all (parsing and verifying
    only, as for upstream ops in a file that also uses the chlast dialect,
    which stock mlir-opt cannot parse) with no chlast frame in the stack."""
    printed = os.path.join(work, "upstream.mlir")
    code, err = run(MLIR_OPT, [path, "-o", printed], timeout)
    if code is None or code < 0 or "Stack dump" in err:
        return True
    if code == 0:
        again, _ = run(MLIR_OPT, [printed, "-o", os.devnull], timeout)
        if again != 0:
            return True
    if not why.startswith(("crash", "killed")):
        return False
    if os.access(VALGRIND, os.X_OK):
        try:
            p = subprocess.run([VALGRIND, "-q", "--error-exitcode=97", MLIR_OPT, path, "-o", os.devnull],
                               capture_output=True, text=True, errors="replace", timeout=20 * timeout)
            if p.returncode == 97 and re.search(r"Invalid (read|write)", p.stderr) and "libMLIR" in p.stderr:
                return True
        except subprocess.TimeoutExpired:
            pass
    code, err = run(chlast_opt, [path, "-o", os.devnull], timeout)
    crashed = code is None or code < 0 or "Stack dump" in err or "PLEASE submit a bug report" in err
    return crashed and "Stack dump" in err and not CHLAST_FRAME.search(err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chlast-opt", default=os.path.join(ROOT, "target/debug/chlast-opt"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=None, help="mutations to try")
    ap.add_argument("--minutes", type=float, default=None, help="or: run this long")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per run")
    ap.add_argument("--out", default=None, help="where to save failing inputs")
    args = ap.parse_args()
    if args.count is None and args.minutes is None:
        args.count = 200
    if not os.access(args.chlast_opt, os.X_OK):
        sys.exit(f"fuzz-text: chlast-opt not found at {args.chlast_opt} (cargo build, or --chlast-opt)")
    corpus = chunks()
    rng = random.Random(args.seed)
    deadline = time.time() + 60 * args.minutes if args.minutes else None
    failures, upstream, tried = [], [], 0
    outcomes = {"ok": 0, "located error": 0}
    with tempfile.TemporaryDirectory(prefix="chlast-fuzz-") as work:
        while (args.count is None or tried < args.count) and (deadline is None or time.time() < deadline):
            name, chunk = corpus[rng.randrange(len(corpus))]
            text = mutate(chunk, rng)
            path = os.path.join(work, "case.mlir")
            out_path = os.path.join(work, "out.mlir")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            if os.path.exists(out_path):
                os.remove(out_path)
            why = check(args.chlast_opt, path, out_path, args.timeout)
            tried += 1
            if why is None:
                outcomes["ok" if os.path.exists(out_path) and os.path.getsize(out_path) else "located error"] += 1
                continue
            if os.access(MLIR_OPT, os.X_OK) and upstream_fails(args.chlast_opt, path, work, args.timeout, why):
                upstream.append((name, why))
                print(f"upstream {tried}: {name}: {why} (stock mlir-opt fails too)", flush=True)
                kind = "upstream"
            else:
                failures.append((name, why))
                print(f"FAIL {tried}: {name}: {why}", flush=True)
                kind = "fail"
            if args.out:
                os.makedirs(args.out, exist_ok=True)
                base = os.path.join(args.out, f"fuzz-text-{args.seed}-{tried}-{kind}")
                with open(base + ".mlir", "w", encoding="utf-8") as f:
                    f.write(text)
                _, err = run(args.chlast_opt, ["--conv-channels-last", "--chlast-materialize-layouts", base + ".mlir"], args.timeout)
                with open(base + ".stderr", "w", encoding="utf-8") as f:
                    f.write(f"{why}\n{err}")
    print(f"fuzz-text: {tried} mutations of {len(corpus)} inputs (seed {args.seed}): "
          f"{outcomes['ok']} valid outputs, {outcomes['located error']} located errors, "
          f"{len(failures)} failures, {len(upstream)} upstream MLIR failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
