// RUN: %chlast-opt --split-input-file --pass-pipeline="builtin.module(func.func(linalg-generalize-named-ops),chlast-fuse-elementwise)" %s | FileCheck %s

// A transpose feeding an elementwise op is fused into it: no standalone
// layout-conversion kernel remains.
// CHECK-LABEL: func.func @transpose_into_elementwise
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x4x8x8xf32>)
// CHECK: math.exp
// CHECK-NOT: linalg.generic
func.func @transpose_into_elementwise(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x4xf32> {
  %e = tensor.empty() : tensor<1x8x8x4xf32>
  %t = linalg.transpose ins(%x : tensor<1x4x8x8xf32>) outs(%e : tensor<1x8x8x4xf32>) permutation = [0, 2, 3, 1]
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%t : tensor<1x8x8x4xf32>) outs(%e : tensor<1x8x8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  } -> tensor<1x8x8x4xf32>
  return %r : tensor<1x8x8x4xf32>
}

// -----

// A transpose feeding a channels-last conv stays a separate op: fused into
// the conv, it would make the conv read NCHW through its input map, and
// cuDNN would get a channels-first tensor again.
// CHECK-LABEL: func.func @transpose_not_into_conv
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x4x10x10xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: linalg.yield
// CHECK: linalg.generic {{.*}} ins(%[[T]], %arg1 : tensor<1x10x10x4xf32>, tensor<8x3x3x4xf32>)
func.func @transpose_not_into_conv(%x: tensor<1x4x10x10xf32>, %w: tensor<8x3x3x4xf32>) -> tensor<1x8x8x8xf32> {
  %e = tensor.empty() : tensor<1x10x10x4xf32>
  %t = linalg.transpose ins(%x : tensor<1x4x10x10xf32>) outs(%e : tensor<1x10x10x4xf32>) permutation = [0, 2, 3, 1]
  %z = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(n, h, w, f, kh, kw, c) -> (n, h + kh, w + kw, c)>, affine_map<(n, h, w, f, kh, kw, c) -> (f, kh, kw, c)>, affine_map<(n, h, w, f, kh, kw, c) -> (n, h, w, f)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%t, %w : tensor<1x10x10x4xf32>, tensor<8x3x3x4xf32>) outs(%f : tensor<1x8x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x8x8xf32>
  return %g : tensor<1x8x8x8xf32>
}

// -----

// A 0-d constant read by several generics (an exponent, as the ONNX importer
// writes pow(x, 2)) is folded into each body, so kernels see a constant.
// CHECK-LABEL: func.func @shared_scalar_constant
// CHECK-NOT: tensor<i64>
// CHECK: arith.constant 2 : i64
// CHECK: math.fpowi
// CHECK: return
func.func @shared_scalar_constant(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %two = arith.constant dense<2> : tensor<i64>
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %two : tensor<8xf32>, tensor<i64>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %n: i64, %out: f32):
    %p = math.fpowi %in, %n : f32, i64
    linalg.yield %p : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%y, %two : tensor<8xf32>, tensor<i64>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %n: i64, %out: f32):
    %p = math.fpowi %in, %n : f32, i64
    linalg.yield %p : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
