// chlast-run runs a small conv2d on seeded inputs and times it.

// RUN: %chlast-run %s --seed 1 --iterations 3 | FileCheck %s
// CHECK: result0: tensor<1x8x6x6xf32> min -{{[0-9]+\.[0-9]+}} max {{[0-9]+\.[0-9]+}} mean {{-?[0-9]+\.[0-9]+}}
// CHECK-NEXT: convolutions on oneDNN: {{[0-9]+}} ({{[0-9]+}} with x/y reordered; {{.*}}), on the CPU reference: 0
// CHECK-NEXT: min {{[0-9]+\.[0-9][0-9][0-9]}} ms, median {{[0-9]+\.[0-9][0-9][0-9]}} ms over 3 runs
// CHECK-NEXT: profile (mean ms per run): total {{[0-9.]+}} = convolutions {{[0-9.]+}} + reorders {{[0-9.]+}} + rest {{[0-9.]+}}

// --entry picks the function by name (with or without '@').
// RUN: %chlast-run %s --entry conv --opt-level 0 | FileCheck %s --check-prefix=ENTRY
// RUN: %chlast-run %s --entry=@conv | FileCheck %s --check-prefix=ENTRY
// ENTRY: result0: tensor<1x8x6x6xf32>

// --threads sets oneDNN's threads (the cpu target only).
// RUN: %chlast-run %s --threads 1 | FileCheck %s --check-prefix=ENTRY
// RUN: not %chlast-run %s --threads 0 2>&1 | FileCheck %s --check-prefix=THREADS-ZERO
// RUN: not %chlast-run %s --threads 2 --target cpu-reference 2>&1 | FileCheck %s --check-prefix=THREADS-TARGET
// THREADS-ZERO: chlast-run: --threads must be at least 1
// THREADS-TARGET: chlast-run: --threads only applies to --target cpu

// Known answer: all-ones input, filter 0 all ones and filter 1 all twos.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %chlast-run %S/Inputs/ones.mlir --save-outputs %t
// RUN: %chlast-run %s --inputs %t/result0.npy,%t/result1.npy | FileCheck %s --check-prefix=KNOWN
// KNOWN: result0: tensor<1x8x6x6xf32> min 36.000000 max 72.000000 mean 54.000000

func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
