// chlast's Rust pass by name in a textual pipeline, with options, next to
// upstream passes; flags apply in command-line order; IR printing works.

// RUN: %chlast-opt %s --pass-pipeline='builtin.module(conv-channels-last{max-ops-per-conv=0 cost-model=false},canonicalize,cse)' | FileCheck %s
// RUN: %chlast-opt %s --conv-channels-last=max-ops-per-conv=0 --canonicalize --cse | FileCheck %s
// RUN: %chlast-opt %s --conv-channels-last=enable=false | FileCheck %s --check-prefix=DISABLED
// RUN: %chlast-opt %s --mlir-print-ir-after-all --conv-channels-last --canonicalize -o /dev/null 2>&1 | FileCheck %s --check-prefix=PRINT

// CHECK-LABEL: func @conv
// CHECK: %[[X:.+]] = chlast.to_layout %arg0 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: ins(%[[X]], %{{.+}} : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// CHECK: %[[Y:.+]] = chlast.to_layout %{{.+}} : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK: return %[[Y]]

// DISABLED-NOT: chlast

// PRINT: IR Dump After ConvChannelsLast (conv-channels-last)
// PRINT: IR Dump After Canonicalizer (canonicalize)

func.func @conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
