// Wrong-shaped and wrong-typed inputs for errors.mlir.
func.func @make() -> (tensor<2x3xf32>, tensor<4xi64>) {
  %a = arith.constant dense<1.0> : tensor<2x3xf32>
  %b = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  return %a, %b : tensor<2x3xf32>, tensor<4xi64>
}
