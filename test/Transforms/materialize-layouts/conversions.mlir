// RUN: %chlast-opt --split-input-file --chlast-materialize-layouts %s | FileCheck %s

// CHECK-LABEL: func @to_nhwc_and_back
// CHECK: %[[E:.+]] = tensor.empty() : tensor<1x4x4x8xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%arg0 : tensor<1x8x4x4xf32>) outs(%[[E]] : tensor<1x4x4x8xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[E2:.+]] = tensor.empty() : tensor<1x8x4x4xf32>
// CHECK: %[[B:.+]] = linalg.transpose ins(%[[T]] : tensor<1x4x4x8xf32>) outs(%[[E2]] : tensor<1x8x4x4xf32>) permutation = [0, 3, 1, 2]
// CHECK: return %[[B]]
// CHECK-NOT: chlast
func.func @to_nhwc_and_back(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %1 = chlast.to_layout %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
  return %1 : tensor<1x8x4x4xf32>
}

// -----

// A view layout: reshape (metadata only) to the view, then transpose.
// CHECK-LABEL: func @to_view_layout
// CHECK: %[[X:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3]] output_shape [1, 8, 4, 256] : tensor<1x8x1024xf32> into tensor<1x8x4x256xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<1x8x4x256xf32>) outs(%{{.+}} : tensor<1x256x8x4xf32>) permutation = [0, 3, 1, 2]
func.func @to_view_layout(%x: tensor<1x8x1024xf32>) -> tensor<1x8x1024xf32> {
  %0 = chlast.to_layout %x : tensor<1x8x1024xf32> -> tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>
  %1 = chlast.to_layout %0 : tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>> -> tensor<1x8x1024xf32>
  return %1 : tensor<1x8x1024xf32>
}

// -----

// Constants are transposed at compile time.
// CHECK-LABEL: func @constant_transposed_at_compile_time
// CHECK: arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: arith.constant dense<5.000000e-01> : tensor<8x3x3x4xf32>
// CHECK-NOT: linalg.transpose
func.func @constant_transposed_at_compile_time() -> (tensor<2x2xf32>, tensor<8x4x3x3xf32>) {
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32, #chlast.layout<[1, 0]>>
  %s = arith.constant dense<0.5> : tensor<8x4x3x3xf32, #chlast.layout<fhwc>>
  %e = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.copy ins(%c : tensor<2x2xf32, #chlast.layout<[1, 0]>>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %e2 = tensor.empty() : tensor<8x4x3x3xf32>
  %1 = linalg.copy ins(%s : tensor<8x4x3x3xf32, #chlast.layout<fhwc>>) outs(%e2 : tensor<8x4x3x3xf32>) -> tensor<8x4x3x3xf32>
  return %0, %1 : tensor<2x2xf32>, tensor<8x4x3x3xf32>
}

// -----

// An encoded signature becomes a physical one.
// CHECK-LABEL: func @physical_signature
// CHECK-SAME: (%arg0: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : tensor<1x4x4x8xf32>)
func.func @physical_signature(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>> {
  %e = tensor.empty() : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %n = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) outs(%e : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %n : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
}
