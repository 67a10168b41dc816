// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last --chlast-materialize-layouts %s -o /dev/null

// Tensors with no elements have no layout to choose. One beside a conv
// (here an argument only returned) is left alone and the conv converted.

// CHECK-LABEL: func.func @zero_size_argument_beside_a_conv(
// CHECK:         chlast.to_layout %arg0
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         return %{{.+}}, %arg1 : tensor<1x8x6x6xf32>, tensor<0x3xf32>
func.func @zero_size_argument_beside_a_conv(%x: tensor<1x4x8x8xf32>, %z: tensor<0x3xf32>) -> (tensor<1x8x6x6xf32>, tensor<0x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0, %z : tensor<1x8x6x6xf32>, tensor<0x3xf32>
}

// -----

// A conv over an empty batch is left alone, with a remark saying why.

// CHECK-LABEL: func.func @conv_over_an_empty_batch(
// CHECK-NOT:     chlast.to_layout
func.func @conv_over_an_empty_batch(%x: tensor<0x4x8x8xf32>) -> tensor<0x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<0x8x6x6xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: zero-size tensors (no data to lay out)}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<0x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<0x8x6x6xf32>) -> tensor<0x8x6x6xf32>
  return %0 : tensor<0x8x6x6xf32>
}
