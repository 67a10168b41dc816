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

// -----

// A group norm's centring (x - mean: one full-size input, a broadcast, one
// subtraction) feeds both the variance and the normalization: it is
// computed again in each, and the centred tensor is never written. Only
// the normalization writes a full-size tensor.
// CHECK-LABEL: func.func @centring_into_both_consumers
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%arg0 : tensor<64x8x4xf32>)
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%arg0, %[[MEAN]] : tensor<64x8x4xf32>, tensor<8xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[MEAN]], %[[VAR]] : tensor<64x8x4xf32>, tensor<8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<64x8x4xf32>)
// CHECK: math.rsqrt
// CHECK-NOT: linalg.generic
func.func @centring_into_both_consumers(%x: tensor<64x8x4xf32>) -> tensor<64x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e8 = tensor.empty() : tensor<8xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8xf32>) -> tensor<8xf32>
  %mean = linalg.generic {indexing_maps = [affine_map<(h, c, g) -> (h, g, c)>, affine_map<(h, c, g) -> (g)>], iterator_types = ["reduction", "reduction", "parallel"]} ins(%x : tensor<64x8x4xf32>) outs(%z8 : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %e = tensor.empty() : tensor<64x8x4xf32>
  %d = linalg.generic {indexing_maps = [affine_map<(h, g, c) -> (h, g, c)>, affine_map<(h, g, c) -> (g)>, affine_map<(h, g, c) -> (h, g, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %mean : tensor<64x8x4xf32>, tensor<8xf32>) outs(%e : tensor<64x8x4xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %s = arith.subf %in, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x8x4xf32>
  %var = linalg.generic {indexing_maps = [affine_map<(h, c, g) -> (h, g, c)>, affine_map<(h, c, g) -> (g)>], iterator_types = ["reduction", "reduction", "parallel"]} ins(%d : tensor<64x8x4xf32>) outs(%z8 : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %sq, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(h, g, c) -> (h, g, c)>, affine_map<(h, g, c) -> (g)>, affine_map<(h, g, c) -> (h, g, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%d, %var : tensor<64x8x4xf32>, tensor<8xf32>) outs(%e : tensor<64x8x4xf32>) {
  ^bb0(%in: f32, %v: f32, %out: f32):
    %r = math.rsqrt %v : f32
    %y = arith.mulf %in, %r : f32
    linalg.yield %y : f32
  } -> tensor<64x8x4xf32>
  return %n : tensor<64x8x4xf32>
}

// -----

// A residual add (two full-size inputs) read by two ops stays one op:
// recomputed in each, it would make both read two tensors instead of one
// (and a conv before it could no longer absorb it).
// CHECK-LABEL: func.func @residual_add_not_recomputed
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<256xf32>, tensor<256xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<256xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<256xf32>)
// CHECK: math.tanh
func.func @residual_add_not_recomputed(%a: tensor<256xf32>, %b: tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>) {
  %e = tensor.empty() : tensor<256xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%a, %b : tensor<256xf32>, tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.addf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%s : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.exp %x : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%s : tensor<256xf32>) outs(%e : tensor<256xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.tanh %x : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  return %p, %q : tensor<256xf32>, tensor<256xf32>
}

// -----

// A per-channel parameter in PyTorch's [C, 1] shape, read at constant index
// 0, no longer stops the reshape between two elementwise ops from moving:
// its unit dim is collapsed and the two ops become one.
// CHECK-LABEL: func.func @constant_unit_dim_param
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0, 1]] : tensor<8x1xf32> into tensor<8xf32>
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
func.func @constant_unit_dim_param(%x: tensor<2x4x16xf32>, %gamma: tensor<8x1xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<2x4x16xf32>
  %two = arith.constant 2.0 : f32
  %p = linalg.generic {indexing_maps = [affine_map<(g, c, s) -> (g, c, s)>, affine_map<(g, c, s) -> (g, c, s)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<2x4x16xf32>) outs(%e : tensor<2x4x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.mulf %in, %two : f32
    linalg.yield %r : f32
  } -> tensor<2x4x16xf32>
  %c = tensor.collapse_shape %p [[0, 1], [2]] : tensor<2x4x16xf32> into tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(c, s) -> (c, s)>, affine_map<(c, s) -> (c, 0)>, affine_map<(c, s) -> (c, s)>], iterator_types = ["parallel", "parallel"]} ins(%c, %gamma : tensor<8x16xf32>, tensor<8x1xf32>) outs(%e2 : tensor<8x16xf32>) {
  ^bb0(%in: f32, %g: f32, %o: f32):
    %r = arith.addf %in, %g : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  return %q : tensor<8x16xf32>
}

// -----

// A pad in front of a conv stays in the conv's rank, after the reshape that
// feeds it: moved above the reshape (upstream's propagation), it would no
// longer be a padding chlast-convs-to-cudnn folds into the conv call.
// CHECK-LABEL: func.func @pad_stays_in_conv_rank
// CHECK: %[[G:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x8x8x8x4xf32> into tensor<1x8x8x32xf32>
// CHECK: tensor.pad %[[C]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: : tensor<1x8x8x32xf32> to tensor<1x10x10x32xf32>
func.func @pad_stays_in_conv_rank(%x: tensor<1x8x8x8x4xf32>, %w: tensor<8x3x3x32xf32>) -> tensor<1x8x8x8xf32> {
  %e = tensor.empty() : tensor<1x8x8x8x4xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>, affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x8x8x8x4xf32>) outs(%e : tensor<1x8x8x8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x8x4xf32>
  %c = tensor.collapse_shape %g [[0], [1], [2], [3, 4]] : tensor<1x8x8x8x4xf32> into tensor<1x8x8x32xf32>
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %c low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<1x8x8x32xf32> to tensor<1x10x10x32xf32>
  %o = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, h, w, f, kh, kw, c) -> (n, h + kh, w + kw, c)>, affine_map<(n, h, w, f, kh, kw, c) -> (f, kh, kw, c)>, affine_map<(n, h, w, f, kh, kw, c) -> (n, h, w, f)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%p, %w : tensor<1x10x10x32xf32>, tensor<8x3x3x32xf32>) outs(%f : tensor<1x8x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}
