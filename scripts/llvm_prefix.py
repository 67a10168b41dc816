"""The LLVM/MLIR prefix chlast is built against: MLIR_SYS_220_PREFIX from the
environment, else as .cargo/config.toml (its one setting) gives it. Used by
test/lit.cfg.py and scripts/fuzz-text.py."""
import os
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def llvm_prefix():
    if os.environ.get("MLIR_SYS_220_PREFIX"):
        return os.environ["MLIR_SYS_220_PREFIX"]
    with open(os.path.join(ROOT, ".cargo", "config.toml"), "rb") as f:
        return tomllib.load(f)["env"]["MLIR_SYS_220_PREFIX"]
