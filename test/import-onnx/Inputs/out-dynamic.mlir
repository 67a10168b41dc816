// Dynamic dims in the signature and in the body.
module {
  func.func @main_graph(%arg0: tensor<?x8xf32>, %arg1: tensor<4xf32>) -> (tensor<?x8xf32>, tensor<4xf32>) {
    %c0 = arith.constant 0 : index
    %d = tensor.dim %arg0, %c0 : tensor<?x8xf32>
    %e = tensor.empty(%d) : tensor<?x8xf32>
    return %e, %arg1 : tensor<?x8xf32>, tensor<4xf32>
  }
}
