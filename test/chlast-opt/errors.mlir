// Bad input: a located diagnostic, exit code 1, no output file, no panic.

// RUN: rm -f %t.out
// RUN: not %chlast-opt %S/Inputs/bad-syntax.mlir -o %t.out 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not test -e %t.out
// SYNTAX: bad-syntax.mlir:2:23: error: use of undeclared SSA value name
// SYNTAX-NOT: panicked

// RUN: not %chlast-opt %s --no-such-pass 2>&1 | FileCheck %s --check-prefix=PASS
// PASS: Unknown command line argument '--no-such-pass'

// RUN: not %chlast-opt %s --pass-pipeline='builtin.module(no-such-pass)' -o %t.out 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not test -e %t.out
// PIPELINE: 'no-such-pass' does not refer to a registered pass or pass pipeline

// RUN: not %chlast-opt %s --pass-pipeline='builtin.module(conv-channels-last{max-ops-per-conv=lots})' 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: for the --max-ops-per-conv option: 'lots' value invalid for uint argument

// RUN: not %chlast-opt %s --pass-pipeline='builtin.module(conv-channels-last{strategy=greedy})' -o %t.out 2>&1 | FileCheck %s --check-prefix=STRATEGY
// RUN: not test -e %t.out
// STRATEGY: for the --strategy option: Cannot find option named 'greedy'!

// RUN: not %chlast-opt %S/Inputs/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory

// RUN: not %chlast-opt %s --conv-channels-last=stats=%S/Inputs/no-such-dir/stats.json 2>&1 | FileCheck %s --check-prefix=STATS
// STATS: error: conv-channels-last: cannot write statistics to '{{.*}}no-such-dir/stats.json'

func.func @f() {
  return
}
