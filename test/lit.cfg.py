# lit configuration for chlast: runs FileCheck tests against chlast-opt.
import os
import shutil
import sys

import lit.formats

config.name = "chlast"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.excludes = ["Inputs", "lit.cfg.py", "mlir-opt-plugin.py"]
config.test_source_root = os.path.dirname(__file__)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from llvm_prefix import llvm_prefix  # noqa: E402


llvm_bin = os.path.join(llvm_prefix(), "bin")
chlast_opt = os.environ.get("CHLAST_OPT")
if not chlast_opt:
    root = os.path.dirname(config.test_source_root)
    chlast_opt = os.path.join(root, "target", "debug", "chlast-opt")
if not os.path.exists(chlast_opt):
    lit_config.fatal("chlast-opt not found at %s (build with `cargo build` or set CHLAST_OPT)" % chlast_opt)

chlast_run = os.environ.get("CHLAST_RUN") or os.path.join(os.path.dirname(chlast_opt), "chlast-run")
chlast_compile = os.path.join(os.path.dirname(chlast_opt), "chlast-compile")

# Real importer output, committed under examples/imported/ (see its README).
imported = os.path.join(os.path.dirname(config.test_source_root), "examples", "imported")

# With CHLAST_PLUGIN=libChlastPlugin.so, `%chlast-opt` is stock mlir-opt with
# the plugin (test/mlir-opt-plugin.py turns the pass flags into a pipeline);
# tests of chlast-opt's own driver say `UNSUPPORTED: plugin`.
plugin = os.environ.get("CHLAST_PLUGIN")
if plugin:
    if not os.path.exists(plugin):
        lit_config.fatal("CHLAST_PLUGIN names %s, which does not exist (make plugin)" % plugin)
    config.available_features.add("plugin")
    config.environment["CHLAST_PLUGIN"] = plugin
    # Its own Output/ tree: the tests' %t files must not collide with a
    # chlast-opt run of the suite at the same time (the integration tests
    # run both in parallel).
    config.test_exec_root = os.path.join(
        os.path.dirname(config.test_source_root), "target", "lit-plugin")
    config.substitutions.append(
        ("%chlast-opt", "python3 " + os.path.join(config.test_source_root, "mlir-opt-plugin.py")))
else:
    config.substitutions.append(("%chlast-opt", chlast_opt))
config.substitutions.append(("%chlast-run", chlast_run))
config.substitutions.append(("%chlast-compile", chlast_compile))
config.substitutions.append(("%imported", os.path.abspath(imported)))
# The ONNX import route (scripts/import-onnx.sh) and its venv's python, which
# has onnx for test/import-onnx/Inputs/make_onnx.py (scripts/deps.sh makes it).
import_venv = os.environ.get("CHLAST_IMPORT_VENV", "/opt/chlast-import")
import_python = os.path.join(import_venv, "bin", "python")
config.substitutions.append(("%import-onnx", os.path.join(os.path.dirname(config.test_source_root), "scripts", "import-onnx.sh")))
config.substitutions.append(("%import-python", import_python))
config.environment["CHLAST_IMPORT_VENV"] = import_venv
if not os.path.exists(os.path.join(import_venv, ".chlast-import-pins")):
    lit_config.fatal("the ONNX import venv is missing at %s: run scripts/deps.sh (or scripts/import-onnx.sh --install)" % import_venv)
# FileCheck, not and count come from LLVM 22.
config.environment["PATH"] = llvm_bin + os.pathsep + os.environ.get("PATH", "")
# A CUDA GPU on this machine (the driver's device nodes): tests that expect
# `chlast-run --target cuda` to fail for want of a GPU do not apply there.
if os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl"):
    config.available_features.add("cuda-gpu")
