// compare.mlir's conv computed channels-last: NCHW -> NHWC and FCHW -> FHWC
// transposes, linalg.conv_2d_nhwc_fhwc, NHWC -> NCHW back.
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %bias = arith.constant 0.25 : f32
  %xe = tensor.empty() : tensor<1x8x8x4xf32>
  %xt = linalg.transpose ins(%x : tensor<1x4x8x8xf32>) outs(%xe : tensor<1x8x8x4xf32>) permutation = [0, 2, 3, 1]
  %we = tensor.empty() : tensor<8x3x3x4xf32>
  %wt = linalg.transpose ins(%w : tensor<8x4x3x3xf32>) outs(%we : tensor<8x3x3x4xf32>) permutation = [0, 2, 3, 1]
  %e = tensor.empty() : tensor<1x6x6x8xf32>
  %f = linalg.fill ins(%bias : f32) outs(%e : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%xt, %wt : tensor<1x8x8x4xf32>, tensor<8x3x3x4xf32>) outs(%f : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  %ye = tensor.empty() : tensor<1x8x6x6xf32>
  %yt = linalg.transpose ins(%y : tensor<1x6x6x8xf32>) outs(%ye : tensor<1x8x6x6xf32>) permutation = [0, 3, 1, 2]
  return %yt : tensor<1x8x6x6xf32>
}
