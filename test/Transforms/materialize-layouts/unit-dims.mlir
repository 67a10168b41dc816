// RUN: %chlast-opt --split-input-file --chlast-materialize-layouts %s | FileCheck %s

// Layouts that differ only in where a unit dim sits are the same bytes:
// pads, concats and slices between them materialize with a reshape, never a
// transpose. (The pass itself places unit dims canonically; these inputs are
// written by hand, as another tool might.)

// A one-frame tensor stored N,H,W,C,D padded in time to three frames NDHWC.
// CHECK-LABEL: func @pad_moves_a_unit_dim
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[R:.+]] = tensor.expand_shape %{{.+}} {{.*}} into tensor<1x1x4x4x8xf32>
// CHECK:         tensor.pad %[[R]] low[0, 2, 0, 0, 0] high[0, 0, 0, 0, 0]
// CHECK:         } : tensor<1x1x4x4x8xf32> to tensor<1x3x4x4x8xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         return
func.func @pad_moves_a_unit_dim(%x: tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>) -> tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 0, 0] high[0, 0, 0, 0, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>> to tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
  return %p : tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
}

// -----

// A concat along time of a cached frame (D innermost, D = 1) and two NDHWC frames.
// CHECK-LABEL: func @concat_moves_a_unit_dim
// CHECK-NOT:     linalg.transpose
// CHECK:         tensor.concat dim(1) {{.*}} : (tensor<1x1x4x4x8xf32>, tensor<1x2x4x4x8xf32>) -> tensor<1x3x4x4x8xf32>
func.func @concat_moves_a_unit_dim(%a: tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, %b: tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>> {
  %c = tensor.concat dim(2) %a, %b : (tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
  return %c : tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
}

// -----

// One frame sliced out of NDHWC, its result typed with D innermost; and put back.
// CHECK-LABEL: func @slices_move_a_unit_dim
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[S:.+]] = tensor.extract_slice %{{.+}}[0, 2, 0, 0, 0] [1, 1, 4, 4, 8] [1, 1, 1, 1, 1] : tensor<1x3x4x4x8xf32> to tensor<1x1x4x4x8xf32>
// CHECK:         tensor.collapse_shape %[[S]]
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x4x4x8x1xf32>
// CHECK:         tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0, 0, 0] [1, 1, 4, 4, 8] [1, 1, 1, 1, 1] : tensor<1x1x4x4x8xf32> into tensor<1x3x4x4x8xf32>
// CHECK-NOT:     linalg.transpose
func.func @slices_move_a_unit_dim(%x: tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>) -> (tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>) {
  %f = tensor.extract_slice %x[0, 0, 2, 0, 0] [1, 8, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>> to tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
  %y = tensor.insert_slice %f into %x[0, 0, 0, 0, 0] [1, 8, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>> into tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
  return %f, %y : tensor<1x8x1x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, tensor<1x8x3x4x4xf32, #chlast.layout<ndhwc>>
}
