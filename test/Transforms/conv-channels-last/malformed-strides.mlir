// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last --chlast-materialize-layouts %s -o %t.mlir
// RUN: %chlast-opt --split-input-file %t.mlir -o /dev/null

// A conv whose stride or dilation is below 1 (or past 32 bits) verifies
// upstream but means nothing: it is left alone with a remark. Found by
// scripts/fuzz-text.py: a dilation of -2^63 became the affine constant
// `d5 * -9223372036854775808` in the generic form, which MLIR prints in a
// form its own parser rejects ("constant too large for index").

// CHECK-LABEL: func.func @dilation_min_i64(
// CHECK-NOT:     chlast.to_layout
// CHECK:         linalg.conv_2d_nchw_fchw
func.func @dilation_min_i64(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: dilations outside 1..2^31 (the conv is malformed)}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<-9223372036854775808> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// A 1x1x1 filter: no shape depends on the dilation, which is 2^40.
// CHECK-LABEL: func.func @dilation_past_32_bits(
// CHECK-NOT:     chlast.to_layout
func.func @dilation_past_32_bits(%x: tensor<1x4x5x8x8xf32>, %w: tensor<6x4x1x1x1xf32>) -> tensor<1x6x5x8x8xf32> {
  %e = tensor.empty() : tensor<1x6x5x8x8xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_3d_ncdhw_fcdhw left in its original layout: dilations outside 1..2^31 (the conv is malformed)}}
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<[1, 1099511627776, 1]> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w : tensor<1x4x5x8x8xf32>, tensor<6x4x1x1x1xf32>) outs(%e : tensor<1x6x5x8x8xf32>) -> tensor<1x6x5x8x8xf32>
  return %0 : tensor<1x6x5x8x8xf32>
}
