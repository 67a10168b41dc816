// Inputs for conv2d.mlir's known-answer run: x = 1, w[f] = 1 for f < 4, 2 otherwise.
func.func @inputs() -> (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) {
  %x = arith.constant dense<1.0> : tensor<1x4x8x8xf32>
  %one = arith.constant dense<1.0> : tensor<4x4x3x3xf32>
  %two = arith.constant dense<2.0> : tensor<4x4x3x3xf32>
  %w = tensor.concat dim(0) %one, %two : (tensor<4x4x3x3xf32>, tensor<4x4x3x3xf32>) -> tensor<8x4x3x3xf32>
  return %x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>
}
