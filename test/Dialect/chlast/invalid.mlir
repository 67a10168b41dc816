// RUN: %chlast-opt --split-input-file --verify-diagnostics %s

// expected-error @+1 {{#chlast.layout of rank 4 does not match tensor rank 3}}
func.func @rank_mismatch(%a: tensor<2x3x4xf32, #chlast.layout<nhwc>>) {
  return
}

// -----

// expected-error @+1 {{#chlast.layout expects a permutation of [0, 3), got [0, 0, 1]}}
func.func @not_a_permutation(%a: tensor<2x3x4xf32, #chlast.layout<[0, 0, 1]>>) {
  return
}

// -----

// expected-error @+1 {{#chlast.layout expects a permutation of [0, 2), got [0, 2]}}
func.func @out_of_range(%a: tensor<2x3xf32, #chlast.layout<[0, 2]>>) {
  return
}

// -----

// expected-error @+1 {{unknown layout name 'nwhc'}}
func.func @unknown_name(%a: tensor<1x2x3x4xf32, #chlast.layout<nwhc>>) {
  return
}

// -----

// expected-error @+1 {{view [1, 8, 5, 256] does not refine the tensor shape [1, 8, 1024]}}
func.func @view_not_a_refinement(%a: tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 5, 256]>>) {
  return
}

// -----

// expected-error @+1 {{#chlast.layout permutation has 3 entries but the view has rank 4}}
func.func @view_rank_mismatch(%a: tensor<1x8x1024xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 4, 256]>>) {
  return
}

// -----

func.func @to_layout_shape_mismatch(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'chlast.to_layout' op requires equal shapes, got 'tensor<1x8x4x4xf32>' and 'tensor<1x8x4x5xf32, #chlast.layout<nhwc>>'}}
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x5xf32, #chlast.layout<nhwc>>
  return
}

// -----

func.func @to_layout_element_mismatch(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'chlast.to_layout' op requires equal element types, got 'f32' and 'f16'}}
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf16, #chlast.layout<nhwc>>
  return
}

// -----

func.func @to_layout_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = chlast.to_layout %x : tensor<*xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return
}
