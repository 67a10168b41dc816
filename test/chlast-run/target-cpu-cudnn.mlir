// `--target cpu-cudnn` lowers like the CUDA target up to its cuDNN calls and
// runs those calls with the CPU reference: here a conv whose bias, zero
// padding and residual-add-then-ReLU all fold into one call, checked against
// the plain CPU target on the same inputs.
// RUN: %chlast-run %s --compare %s --compare-target cpu-cudnn --seed 3 | FileCheck %s
// RUN: %chlast-run %s --target cpu-cudnn --compare %s --compare-target cpu | FileCheck %s
// RUN: %chlast-opt %s --conv-channels-last -o %t.mlir
// RUN: %chlast-run %s --compare %t.mlir --compare-target cpu-cudnn | FileCheck %s
// RUN: %chlast-opt %s --chlast-lower-to-cuda=stats=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATS
// RUN: not %chlast-run %s --compare-target cpu 2>&1 | FileCheck %s --check-prefix=ALONE
// RUN: not %chlast-run %s --compare %s --compare-target gpu 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: result0: tensor<1x8x8x8xf32> {{.*}} 0/512 beyond tolerance {{.*}}: PASS
// CHECK: cuDNN calls run by the CPU reference: 1
// STATS: "cudnn_calls": 1,{{.*}}"cudnn_fused_epilogues": 1}
// ALONE: chlast-run: --rtol, --atol and --compare-target only apply to --compare
// BAD: chlast-run: --compare-target must be cpu, cpu-cudnn or cuda, not 'gpu'
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_bias_residual_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>, %r: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %empty = tensor.empty() : tensor<1x8x8x8xf32>
  %bias = linalg.broadcast ins(%b : tensor<8xf32>) outs(%empty : tensor<1x8x8x8xf32>) dimensions = [0, 2, 3]
  %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%bias : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%conv, %r : tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) outs(%empty : tensor<1x8x8x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x8xf32>
  return %sum : tensor<1x8x8x8xf32>
}
