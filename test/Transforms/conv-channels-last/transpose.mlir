// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s

// linalg.transpose is a permutation of its loops like any other LinalgOp:
// an NHWC network input transposed to NCHW for the conv needs no conversion
// at all (the transpose's NCHW result, stored NHWC, is its input unchanged).

// CHECK-LABEL: func.func @nhwc_input_transposed_to_nchw(
// CHECK-NOT:     chlast.to_layout %arg0
// CHECK:         %[[T:.+]] = linalg.transpose ins(%arg0 : tensor<1x8x8x4xf32>) outs(%{{.+}} : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>) permutation = [0, 3, 1, 2]
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[T]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]]
// CHECK-NEXT:    return %[[R]]
func.func @nhwc_input_transposed_to_nchw(%x: tensor<1x8x8x4xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %et = tensor.empty() : tensor<1x4x8x8xf32>
  %t = linalg.transpose ins(%x : tensor<1x8x8x4xf32>) outs(%et : tensor<1x4x8x8xf32>) permutation = [0, 3, 1, 2]
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%t, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// The conv result transposed to NHWC for the caller: no conversion at the
// output either.

// CHECK-LABEL: func.func @conv_result_transposed_to_nhwc(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[T:.+]] = linalg.transpose ins(%[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) outs(%{{.+}} : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
// CHECK-NEXT:    return %[[T]]
func.func @conv_result_transposed_to_nhwc(%x: tensor<1x4x8x8xf32>) -> tensor<1x6x6x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %et = tensor.empty() : tensor<1x6x6x8xf32>
  %t = linalg.transpose ins(%0 : tensor<1x8x6x6xf32>) outs(%et : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
  return %t : tensor<1x6x6x8xf32>
}
