// An f16 (or bf16) conv rewritten channels-last keeps its reduction order
// (c, kh, kw), so it rounds exactly as the original: compared with zero
// tolerance over several seeds. (The named NHWC form reduces over
// (kh, kw, c) and differed by up to 1.6e-2 in f16.)

// RUN: %chlast-opt "--conv-channels-last=cost-model=false" --chlast-materialize-layouts %s -o %t.rewritten.mlir
// RUN: %chlast-run %s --seed 1 --compare %t.rewritten.mlir --rtol 0 --atol 0 | FileCheck %s
// RUN: %chlast-run %s --seed 2 --compare %t.rewritten.mlir --rtol 0 --atol 0 | FileCheck %s
// RUN: %chlast-run %s --seed 3 --compare %t.rewritten.mlir --rtol 0 --atol 0 | FileCheck %s
// RUN: %chlast-run %s --seed 4 --compare %t.rewritten.mlir --rtol 0 --atol 0 | FileCheck %s
// RUN: %chlast-run %s --seed 5 --compare %t.rewritten.mlir --rtol 0 --atol 0 | FileCheck %s
// CHECK: result0: tensor<2x8x6x6xf16> max abs error 0.000e0, {{.*}} 0/576 beyond tolerance {{.*}}: PASS
func.func @conv_f16(%x: tensor<2x4x8x8xf16>, %w: tensor<8x4x3x3xf16>) -> tensor<2x8x6x6xf16> {
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<2x8x6x6xf16>
  %o = linalg.fill ins(%zero : f16) outs(%e : tensor<2x8x6x6xf16>) -> tensor<2x8x6x6xf16>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<2x4x8x8xf16>, tensor<8x4x3x3xf16>) outs(%o : tensor<2x8x6x6xf16>) -> tensor<2x8x6x6xf16>
  return %y : tensor<2x8x6x6xf16>
}
