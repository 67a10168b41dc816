// RUN: %chlast-opt --split-input-file --verify-diagnostics --chlast-materialize-layouts %s

func.func @unsupported_user(%x: tensor<1x8x4x4xf32>) -> index {
  %c1 = arith.constant 1 : index
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  // expected-error @+1 {{'tensor.dim' op has #chlast.layout operands or results that chlast-materialize-layouts cannot materialize}}
  %d = tensor.dim %0, %c1 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %d : index
}

// -----

// Not the same bytes (C and D swap places, D = 2): refused.
func.func @pad_with_another_order(%x: tensor<1x8x2x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>) -> tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>> {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{source and result layouts differ}}
  %p = tensor.pad %x low[0, 0, 1, 0, 0] high[0, 0, 0, 0, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x8x2x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>> to tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
  return %p : tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
}

// -----

// A pad amount equal to the "dynamic" sentinel, which the parser takes as a
// static value (a mutant found by scripts/fuzz-text.py): refused, not
// materialized into a pad that crashes the printer.
func.func @pad_amount_is_the_dynamic_sentinel(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>> {
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{only static pads with a constant value can be materialized}}
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, -9223372036854775808] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> to tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
  return %p : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
}
