#!/usr/bin/env python3
"""chlast-opt's command line run by stock mlir-opt with libChlastPlugin.so.

The lit suite's pass tests run a second time through the plugin
(`lit_suite_through_the_plugin`): lit.cfg.py points `%chlast-opt` here when
CHLAST_PLUGIN names the plugin. mlir-opt does not turn pass flags from
plugins into `--conv-channels-last` options (an upstream limitation), so the
pass flags (`--conv-channels-last[=OPTS]`, `--chlast-*[=OPTS]`, and the
upstream `--canonicalize`/`--cse` used next to them) become one
`--pass-pipeline=builtin.module(...)`, in order; every other argument goes
to mlir-opt unchanged.
"""
import os
import sys

PASS_FLAGS = ("--conv-channels-last", "--chlast-", "--canonicalize", "--cse")


def main():
    # lit.cfg.py puts the LLVM prefix's bin/ first on PATH.
    mlir_opt = os.environ.get("CHLAST_MLIR_OPT", "mlir-opt")
    plugin = os.environ.get("CHLAST_PLUGIN")
    if not plugin:
        sys.exit("mlir-opt-plugin.py: set CHLAST_PLUGIN to libChlastPlugin.so")
    passes, rest = [], []
    for arg in sys.argv[1:]:
        if arg.startswith(PASS_FLAGS):
            name, _, options = arg[2:].partition("=")
            passes.append(f"{name}{{{options}}}" if options else name)
        else:
            rest.append(arg)
    command = [mlir_opt, f"--load-dialect-plugin={plugin}", f"--load-pass-plugin={plugin}"] + rest
    if passes:
        command.append("--pass-pipeline=builtin.module(" + ",".join(passes) + ")")
    os.execvp(mlir_opt, command)


if __name__ == "__main__":
    main()
