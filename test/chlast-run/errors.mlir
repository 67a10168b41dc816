// Bad programs, inputs and flags: one `chlast-run: ...` line, exit code 1,
// no panic.

// RUN: not %chlast-run %s --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: chlast-run: no public function @nope in {{.*}}errors.mlir (public functions: @f)
// ENTRY-NOT: panicked

// RUN: not %chlast-run %S/Inputs/two-functions.mlir 2>&1 | FileCheck %s --check-prefix=AMBIGUOUS
// AMBIGUOUS: chlast-run: {{.*}}two-functions.mlir has several public functions (@a, @b): choose one with --entry NAME
// RUN: not %chlast-run %S/Inputs/two-functions.mlir --entry hidden 2>&1 | FileCheck %s --check-prefix=PRIVATE
// PRIVATE: chlast-run: @hidden in {{.*}}two-functions.mlir is private or has no body; only public functions can be run
// RUN: %chlast-run %S/Inputs/two-functions.mlir --entry b | FileCheck %s --check-prefix=CHOSEN
// CHOSEN: result0: tensor<2xf32>

// RUN: not %chlast-run %S/Inputs/no-functions.mlir 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: chlast-run: no public func.func to run in {{.*}}no-functions.mlir

// RUN: not %chlast-run %S/Inputs/f64.mlir 2>&1 | FileCheck %s --check-prefix=ELEMENT
// ELEMENT: chlast-run: unsupported element type f64 (argument 0 of @d: tensor<2xf64>); supported: f32, f16, bf16, i32, i64
// ELEMENT-NOT: panicked

// RUN: not %chlast-run %S/Inputs/dynamic.mlir 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: chlast-run: result 0 of @d has type tensor<?x4xf32>: only statically shaped ranked tensors are supported

// RUN: not %chlast-run %S/Inputs/bad-syntax.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: chlast-run: {{.*}}bad-syntax.mlir:3:10: error: use of undeclared SSA value name
// SYNTAX-NOT: panicked

// RUN: not %chlast-run %S/Inputs/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: chlast-run: {{.*}}does-not-exist.mlir: No such file or directory

// A 2x3 .npy for an argument of type tensor<4xf32>.
// RUN: rm -rf %t && %chlast-run %S/Inputs/two-by-three.mlir --save-outputs %t
// RUN: not %chlast-run %s --inputs %t/result0.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: chlast-run: argument 0 of @f is tensor<4xf32>, but the input ({{.*}}result0.npy) is tensor<2x3xf32> (.npy dtype <f4)
// The right shape with the wrong dtype.
// RUN: not %chlast-run %s --inputs %t/result1.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: chlast-run: argument 0 of @f is tensor<4xf32>, but the input ({{.*}}result1.npy) is tensor<4xi64> (.npy dtype <i8)
// RUN: not %chlast-run %s --inputs %t/result0.npy,%t/result1.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: chlast-run: @f takes 1 argument(s), 2 input(s) given
// RUN: not %chlast-run %s --inputs %s 2>&1 | FileCheck %s --check-prefix=NOTNPY
// NOTNPY: chlast-run: {{.*}}errors.mlir: not a .npy file (bad magic string) (input for argument 0 of @f)
// RUN: not %chlast-run %s --inputs %t/missing.npy 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: chlast-run: {{.*}}missing.npy: No such file or directory

// RUN: not %chlast-run %s --seed 1 --inputs %t/result0.npy 2>&1 | FileCheck %s --check-prefix=FLAGS
// FLAGS: chlast-run: --seed and --inputs are exclusive
// RUN: not %chlast-run %s --no-such-flag 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: chlast-run: unknown option '--no-such-flag'
// RUN: not %chlast-run %s --iterations lots 2>&1 | FileCheck %s --check-prefix=NUMBER
// NUMBER: chlast-run: --iterations: 'lots' is not a valid non-negative integer
// RUN: not %chlast-run 2>&1 | FileCheck %s --check-prefix=NOINPUT
// NOINPUT: chlast-run: no input file
// RUN: %chlast-run --help | FileCheck %s --check-prefix=HELP
// HELP: usage: chlast-run FILE.mlir [options]

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
