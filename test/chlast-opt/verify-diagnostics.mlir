// Expected diagnostics with relative line offsets, from upstream and chlast.
// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s -o /dev/null

func.func @relative_offsets(%x: tensor<1x8x4x4xf32>) {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x5xf32, #chlast.layout<nhwc>>
  // expected-error @-1 {{requires equal shapes}}
  return
}

// -----

func.func @pass_remarks(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %o: tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32> {
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: dynamic shapes}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}
