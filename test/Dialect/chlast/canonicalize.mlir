// RUN: %chlast-opt --split-input-file --canonicalize %s | FileCheck %s

// CHECK-LABEL: func @identity_conversion_folds
// CHECK-NEXT: return %arg0
func.func @identity_conversion_folds(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>> {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
}

// -----

// CHECK-LABEL: func @round_trip_folds
// CHECK-NEXT: return %arg0
func.func @round_trip_folds(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %1 = chlast.to_layout %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
  return %1 : tensor<1x8x4x4xf32>
}

// -----

// CHECK-LABEL: func @chain_becomes_one_conversion
// CHECK-NEXT: %[[C:.+]] = chlast.to_layout %arg0 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>>
// CHECK-NEXT: return %[[C]]
func.func @chain_becomes_one_conversion(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>> {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %1 = chlast.to_layout %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>>
  return %1 : tensor<1x8x4x4xf32, #chlast.layout<[0, 3, 2, 1]>>
}

// -----

// CHECK-LABEL: func @dense_constant_folds
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[{{\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32, #chlast.layout<[1, 0]>>
// CHECK-NEXT: return %[[C]]
func.func @dense_constant_folds() -> tensor<2x2xf32, #chlast.layout<[1, 0]>> {
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %0 = chlast.to_layout %c : tensor<2x2xf32> -> tensor<2x2xf32, #chlast.layout<[1, 0]>>
  return %0 : tensor<2x2xf32, #chlast.layout<[1, 0]>>
}

// -----

// CHECK-LABEL: func @splat_constant_folds
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// CHECK-NEXT: return %[[C]]
func.func @splat_constant_folds() -> tensor<8x4x3x3xf32, #chlast.layout<nhwc>> {
  %c = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %0 = chlast.to_layout %c : tensor<8x4x3x3xf32> -> tensor<8x4x3x3xf32, #chlast.layout<fhwc>>
  return %0 : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
}

// -----

// CHECK-LABEL: func @resource_constant_folds
// CHECK-NEXT: %[[C:.+]] = arith.constant dense_resource<weights> : tensor<2x2xf32, #chlast.layout<[1, 0]>>
// CHECK-NEXT: return %[[C]]
func.func @resource_constant_folds() -> tensor<2x2xf32, #chlast.layout<[1, 0]>> {
  %c = arith.constant dense_resource<weights> : tensor<2x2xf32>
  %0 = chlast.to_layout %c : tensor<2x2xf32> -> tensor<2x2xf32, #chlast.layout<[1, 0]>>
  return %0 : tensor<2x2xf32, #chlast.layout<[1, 0]>>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func @empty_folds
// CHECK-NEXT: %[[E:.+]] = tensor.empty() : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT: return %[[E]]
func.func @empty_folds() -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>> {
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %0 = chlast.to_layout %e : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
}

// -----

// A real conversion of an argument stays; CSE-style duplicates are left to cse.
// CHECK-LABEL: func @argument_conversion_stays
// CHECK-NEXT: chlast.to_layout %arg0
func.func @argument_conversion_stays(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>> {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return %0 : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
}

// -----

// to_layout is Pure: unused conversions disappear.
// CHECK-LABEL: func @dead_conversion_is_removed
// CHECK-NEXT: return
func.func @dead_conversion_is_removed(%x: tensor<1x8x4x4xf32>) {
  %0 = chlast.to_layout %x : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  return
}
