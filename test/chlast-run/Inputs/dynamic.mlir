func.func @d(%x: tensor<3x4xf32>) -> tensor<?x4xf32> {
  %y = tensor.cast %x : tensor<3x4xf32> to tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
