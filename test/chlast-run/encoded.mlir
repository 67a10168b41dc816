// chlast-run materializes #chlast.layout-encoded IR before lowering
// (--chlast-materialize-layouts), so the output of --conv-channels-last runs
// directly and matches the original.

// RUN: %chlast-opt %s --conv-channels-last='max-ops-per-conv=0 cost-model=false' -o %t.mlir
// RUN: FileCheck %s --check-prefix=ENCODED --input-file=%t.mlir
// ENCODED: chlast.to_layout
// RUN: %chlast-run %s --compare %t.mlir --seed 3 | FileCheck %s
// CHECK: result0: tensor<1x8x6x6xf32> max abs error {{.*}}: PASS

func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %bias = arith.constant 0.25 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%bias : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
