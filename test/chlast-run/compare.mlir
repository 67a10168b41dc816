// --compare runs two programs on the same seeded inputs and checks every
// output within tolerance. A hand-written channels-last version of the conv
// (transposes around linalg.conv_2d_nhwc_fhwc) matches the original; one
// with a wrong filter permutation, or with a changed constant, does not.

// RUN: %chlast-run %s --compare %s | FileCheck %s --check-prefix=SELF
// SELF: result0: tensor<1x8x6x6xf32> max abs error 0.000e0, max rel error 0.000e0, 0/288 beyond tolerance (rtol 1e-4, atol 1e-5): PASS
// SELF-NOT: FAIL

// RUN: %chlast-run %s --compare %S/Inputs/conv2d-nhwc.mlir --seed 7 --iterations 2 | FileCheck %s --check-prefix=NHWC
// NHWC: result0: tensor<1x8x6x6xf32> max abs error {{.*}}: PASS
// NHWC: compare.mlir: min {{[0-9.]+}} ms, median {{[0-9.]+}} ms over 2 runs
// NHWC: conv2d-nhwc.mlir: min {{[0-9.]+}} ms, median {{[0-9.]+}} ms over 2 runs

// RUN: not %chlast-run %s --compare %S/Inputs/conv2d-nhwc-wrong-perm.mlir > %t.out 2> %t.err
// RUN: FileCheck %s --check-prefix=PERM < %t.out
// RUN: FileCheck %s --check-prefix=PERM-ERR < %t.err
// PERM: result0: tensor<1x8x6x6xf32> max abs error {{.*}} beyond tolerance (rtol 1e-4, atol 1e-5): FAIL
// PERM-NEXT: worst element at [0, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}]:
// PERM-ERR: chlast-run: {{.*}}conv2d-nhwc-wrong-perm.mlir differs from {{.*}}compare.mlir beyond tolerance

// RUN: not %chlast-run %s --compare %S/Inputs/conv2d-bias-changed.mlir 2>&1 | FileCheck %s --check-prefix=CONST
// CONST: max rel error {{.*}}: FAIL

// A loose enough tolerance accepts the changed constant (0.5 vs 0.25).
// RUN: %chlast-run %s --compare %S/Inputs/conv2d-bias-changed.mlir --atol 0.3 | FileCheck %s --check-prefix=LOOSE
// LOOSE: (rtol 1e-4, atol 3e-1): PASS

// RUN: not %chlast-run %s --compare %S/Inputs/identity-2x3x4.mlir 2>&1 | FileCheck %s --check-prefix=SIGNATURE
// SIGNATURE: chlast-run: --compare needs the same signature: @conv in {{.*}}compare.mlir is (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> (tensor<1x8x6x6xf32>), but @identity in {{.*}}identity-2x3x4.mlir is (tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>)

func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %bias = arith.constant 0.25 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%bias : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
