// `--target cpu-cudnn` lowers like the CUDA target up to its cuDNN calls and
// runs those calls with the CPU reference: here a conv whose bias, zero
// padding and residual-add-then-ReLU all fold into one call, checked against
// the plain CPU target (cpu-reference: everything as loops) on the same
// inputs.
// RUN: %chlast-run %s --entry conv_bias_residual_relu --target cpu-reference --compare %s --compare-target cpu-cudnn --seed 3 | FileCheck %s
// RUN: %chlast-run %s --entry conv_bias_residual_relu --target cpu-cudnn --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-opt %s --conv-channels-last -o %t.mlir
// RUN: %chlast-run %s --entry conv_bias_residual_relu --target cpu-reference --compare %t.mlir --compare-target cpu-cudnn | FileCheck %s
// RUN: %chlast-opt %s --chlast-lower-to-cuda=stats=- -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATS
// RUN: %chlast-run %s --entry conv3d_relu_f32 --target cpu-reference --compare %s --compare-target cpu-cudnn | FileCheck %s --check-prefix=F32
// RUN: %chlast-run %s --entry conv3d_relu_f16 --target cpu-reference --compare %s --compare-target cpu-cudnn --rtol 0.05 --atol 0.02 | FileCheck %s --check-prefix=F16
// The default CPU target runs the same calls on oneDNN (f16 on the
// reference: oneDNN has no f16 convolutions on AVX2).
// RUN: %chlast-run %s --entry conv_bias_residual_relu --target cpu --compare %s --compare-target cpu-reference --seed 3 | FileCheck %s --check-prefix=ONEDNN
// RUN: %chlast-run %t.mlir --entry conv_bias_residual_relu --compare %s --compare-target cpu-reference --seed 4 | FileCheck %s --check-prefix=ONEDNN
// RUN: %chlast-run %s --entry conv3d_relu_f32 --compare %s --compare-target cpu-reference | FileCheck %s --check-prefix=ONEDNN3D
// RUN: %chlast-run %s --entry conv3d_relu_f16 --compare %s --compare-target cpu-reference --rtol 0.05 --atol 0.02 | FileCheck %s --check-prefix=ONEDNNF16
// ONEDNN: result0: tensor<1x8x8x8xf32> {{.*}} 0/512 beyond tolerance {{.*}}: PASS
// ONEDNN: convolutions on oneDNN: 1 ({{.*}}), on the CPU reference: 0
// ONEDNN3D: result0: tensor<1x6x3x3x3xf32> {{.*}} 0/162 beyond tolerance {{.*}}: PASS
// ONEDNN3D: convolutions on oneDNN: 1 ({{.*}}), on the CPU reference: 0
// ONEDNNF16: result0: tensor<1x6x3x3x3xf16> {{.*}}: PASS
// ONEDNNF16: convolutions on oneDNN: 0 ({{.*}}), on the CPU reference: 1
// RUN: not %chlast-run %s --entry conv3d_relu_f32 --compare-target cpu 2>&1 | FileCheck %s --check-prefix=ALONE
// RUN: not %chlast-run %s --entry conv3d_relu_f32 --compare %s --compare-target gpu 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: result0: tensor<1x8x8x8xf32> {{.*}} 0/512 beyond tolerance {{.*}}: PASS
// CHECK: cuDNN calls run by the CPU reference: 1
// STATS: "cudnn_calls":3,{{.*}}"cudnn_fused_epilogues":3,{{.*}}}

// A strided 3-D conv with a zero-filled output (the fill is dropped: beta
// = 0) and an in-place ReLU, in f32 and f16. The f16 program accumulates in
// f16, cuDNN (and its reference) in f32: hence the looser tolerance.
// F32: result0: tensor<1x6x3x3x3xf32> {{.*}} 0/162 beyond tolerance {{.*}}: PASS
// F16: result0: tensor<1x6x3x3x3xf16> {{.*}} 0/162 beyond tolerance {{.*}}: PASS
// ALONE: chlast-run: --compare-target only applies to --compare
// BAD: chlast-run: --compare-target must be cpu, cpu-reference, cpu-cudnn or cuda, not 'gpu'
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

#map5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
func.func @conv3d_relu_f32(%x: tensor<1x4x5x8x8xf32>, %w: tensor<6x4x3x3x3xf32>) -> tensor<1x6x3x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x6x3x3x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x6x3x3x3xf32>) -> tensor<1x6x3x3x3xf32>
  %conv = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<[1, 2, 2]> : vector<3xi64>} ins(%x, %w : tensor<1x4x5x8x8xf32>, tensor<6x4x3x3x3xf32>) outs(%init : tensor<1x6x3x3x3xf32>) -> tensor<1x6x3x3x3xf32>
  %relu = linalg.generic {indexing_maps = [#map5, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%conv : tensor<1x6x3x3x3xf32>) outs(%empty : tensor<1x6x3x3x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x6x3x3x3xf32>
  return %relu : tensor<1x6x3x3x3xf32>
}

func.func @conv3d_relu_f16(%x: tensor<1x4x5x8x8xf16>, %w: tensor<6x4x3x3x3xf16>) -> tensor<1x6x3x3x3xf16> {
  %zero = arith.constant 0.0 : f16
  %empty = tensor.empty() : tensor<1x6x3x3x3xf16>
  %init = linalg.fill ins(%zero : f16) outs(%empty : tensor<1x6x3x3x3xf16>) -> tensor<1x6x3x3x3xf16>
  %conv = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<[1, 2, 2]> : vector<3xi64>} ins(%x, %w : tensor<1x4x5x8x8xf16>, tensor<6x4x3x3x3xf16>) outs(%init : tensor<1x6x3x3x3xf16>) -> tensor<1x6x3x3x3xf16>
  %relu = linalg.generic {indexing_maps = [#map5, #map5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%conv : tensor<1x6x3x3x3xf16>) outs(%empty : tensor<1x6x3x3x3xf16>) {
  ^bb0(%a: f16, %o: f16):
    %m = arith.maximumf %a, %zero : f16
    linalg.yield %m : f16
  } -> tensor<1x6x3x3x3xf16>
  return %relu : tensor<1x6x3x3x3xf16>
}
