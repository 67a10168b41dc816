// RUN: %chlast-opt --split-input-file --verify-diagnostics --chlast-materialize-layouts %s

func.func @unsupported_user(%x: tensor<1x8x4x4xf32>) -> index {
  %c1 = arith.constant 1 : index
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  // expected-error @+1 {{'tensor.dim' op has #chlast.layout operands or results that chlast-materialize-layouts cannot materialize}}
  %d = tensor.dim %0, %c1 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %d : index
}
