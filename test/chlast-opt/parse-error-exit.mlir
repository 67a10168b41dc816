// An input with a parse error (a mutant found by scripts/fuzz-text.py)
// gives the located error and exit status 1. chlast-opt aborted here once it
// ran on a worker thread that returned: glibc's thread teardown tripped
// over the heap upstream's parser leaves after this error. The worker now
// exits the process itself, as mlir-opt's main thread does.

// RUN: not %chlast-opt --conv-channels-last --chlast-materialize-layouts %S/Inputs/parse-error-thread-teardown.mlir -o %t.mlir 2>&1 | FileCheck %s
// RUN: test ! -e %t.mlir
// CHECK: parse-error-thread-teardown.mlir:37:48: error: expected non-function type
// CHECK-NOT: Stack dump
