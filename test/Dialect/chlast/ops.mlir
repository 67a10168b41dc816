// RUN: %chlast-opt --split-input-file %s | FileCheck %s
// RUN: %chlast-opt --split-input-file %s | %chlast-opt --split-input-file | FileCheck %s
// RUN: %chlast-opt --split-input-file --mlir-print-op-generic %s | %chlast-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func @named_layouts
// CHECK-SAME: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-SAME: tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
// CHECK-SAME: tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// CHECK-SAME: tensor<8x4x3x3x3xf32, #chlast.layout<ndhwc>>
func.func @named_layouts(%a: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>,
                         %b: tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>,
                         %c: tensor<8x4x3x3xf32, #chlast.layout<fhwc>>,
                         %d: tensor<8x4x3x3x3xf32, #chlast.layout<fdhwc>>) {
  return
}

// -----

// CHECK-LABEL: func @permutation_form
// CHECK-SAME: tensor<2x3x4xf32, #chlast.layout<[2, 0, 1]>>
// The list form of a named permutation prints by name.
// CHECK-SAME: tensor<1x2x3x4xf32, #chlast.layout<nhwc>>
// Identity layouts are allowed and print as nchw.
// CHECK-SAME: tensor<1x2x3x4xf32, #chlast.layout<nchw>>
func.func @permutation_form(%a: tensor<2x3x4xf32, #chlast.layout<[2, 0, 1]>>,
                            %b: tensor<1x2x3x4xf32, #chlast.layout<[0, 2, 3, 1]>>,
                            %c: tensor<1x2x3x4xf32, #chlast.layout<[0, 1, 2, 3]>>) {
  return
}

// -----

// CHECK-LABEL: func @view_form
// CHECK-SAME: tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>
func.func @view_form(%a: tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>) {
  return
}

// -----

// CHECK-LABEL: func @to_layout_forms
func.func @to_layout_forms(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: %[[A:.+]] = chlast.to_layout %{{.+}} : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  // CHECK: %[[B:.+]] = chlast.to_layout %[[A]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>>
  %1 = chlast.to_layout %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>>
  // CHECK: chlast.to_layout %[[B]] : tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>> -> tensor<1x8x4x4xf32>
  %2 = chlast.to_layout %1 : tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>> -> tensor<1x8x4x4xf32>
  return %2 : tensor<1x8x4x4xf32>
}

// -----

// Encoded tensors flow through upstream ops unchanged in meaning.
// CHECK-LABEL: func @encoded_operands_of_upstream_ops
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.+}} : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>)
func.func @encoded_operands_of_upstream_ops(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>> {
  %e = tensor.empty() : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) outs(%e : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
}
