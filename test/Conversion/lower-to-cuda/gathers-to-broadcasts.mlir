// RUN: %chlast-opt --split-input-file --chlast-gathers-to-broadcasts %s | FileCheck %s

// Nearest x2 upsampling of a channels-last tensor as the ONNX importer
// writes Resize (floor(i / 2.0), clamped): a broadcast over an expanded
// output, no gather left.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (0, d2, d4, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d4, d5, d1)>
// CHECK-LABEL: func.func @nearest_x2
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3, 4], [5]] output_shape [1, 8, 2, 8, 2, 32]
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x8x8x32xf32>) outs(%[[E]] : tensor<1x8x2x8x2x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[A]]
// CHECK: tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<1x8x2x8x2x32xf32> into tensor<1x16x16x32xf32>
// CHECK-NOT: tensor.extract
func.func @nearest_x2(%x: tensor<1x8x8x32xf32>) -> tensor<1x16x16x32xf32> {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  %max = arith.constant 7.0 : f32
  %e = tensor.empty() : tensor<1x16x16x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<1x16x16x32xf32>) {
  ^bb0(%out: f32):
    %c = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %h64 = arith.index_cast %h : index to i64
    %hf = arith.sitofp %h64 : i64 to f32
    %hd = arith.divf %hf, %two : f32
    %hfl = math.floor %hd : f32
    %hlo = arith.maximumf %hfl, %zero : f32
    %hhi = arith.minimumf %hlo, %max : f32
    %hi64 = arith.fptosi %hhi : f32 to i64
    %hi = arith.index_cast %hi64 : i64 to index
    %w64 = arith.index_cast %w : index to i64
    %wf = arith.sitofp %w64 : i64 to f32
    %wd = arith.divf %wf, %two : f32
    %wfl = math.floor %wd : f32
    %wlo = arith.maximumf %wfl, %zero : f32
    %whi = arith.minimumf %wlo, %max : f32
    %wi64 = arith.fptosi %whi : f32 to i64
    %wi = arith.index_cast %wi64 : i64 to index
    %v = tensor.extract %x[%c0, %hi, %wi, %c] : tensor<1x8x8x32xf32>
    linalg.yield %v : f32
  } -> tensor<1x16x16x32xf32>
  return %r : tensor<1x16x16x32xf32>
}

// -----

// Integer arithmetic (i floordiv 3 as divsi), an elementwise op on the read
// value, and a 3-D (frames) tensor: the op after the read stays in the body.
// CHECK-LABEL: func.func @integer_x3_with_body
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 3, 4]
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : tensor<2x4xf32>)
// CHECK: math.exp
// CHECK-NOT: tensor.extract
func.func @integer_x3_with_body(%x: tensor<2x4xf32>) -> tensor<6x4xf32> {
  %three = arith.constant 3 : index
  %e = tensor.empty() : tensor<6x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<6x4xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = arith.divsi %i, %three : index
    %v = tensor.extract %x[%s, %j] : tensor<2x4xf32>
    %y = math.exp %v : f32
    linalg.yield %y : f32
  } -> tensor<6x4xf32>
  return %r : tensor<6x4xf32>
}

// -----

// Not i / s (a flip: 7 - i): the gather stays.
// CHECK-LABEL: func.func @flip_stays
// CHECK: tensor.extract
func.func @flip_stays(%x: tensor<8xf32>) -> tensor<8xf32> {
  %seven = arith.constant 7 : index
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = arith.subi %seven, %i : index
    %v = tensor.extract %x[%s] : tensor<8xf32>
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// An index computed from two loops (i + j): the gather stays.
// CHECK-LABEL: func.func @two_loops_stay
// CHECK: tensor.extract
func.func @two_loops_stay(%x: tensor<16xf32>) -> tensor<8x8xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<8x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = arith.addi %i, %j : index
    %v = tensor.extract %x[%s] : tensor<16xf32>
    linalg.yield %v : f32
  } -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// The loop index also feeds the computed value (not only the read): the
// loops cannot change, the gather stays.
// CHECK-LABEL: func.func @index_used_in_value_stays
// CHECK: tensor.extract
func.func @index_used_in_value_stays(%x: tensor<4xf32>) -> tensor<8xf32> {
  %two = arith.constant 2 : index
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = arith.divsi %i, %two : index
    %v = tensor.extract %x[%s] : tensor<4xf32>
    %i64 = arith.index_cast %i : index to i64
    %f = arith.sitofp %i64 : i64 to f32
    %y = arith.addf %v, %f : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// An extent the divisor does not divide (7 outputs, i / 2): stays.
// CHECK-LABEL: func.func @uneven_stays
// CHECK: tensor.extract
func.func @uneven_stays(%x: tensor<4xf32>) -> tensor<7xf32> {
  %two = arith.constant 2 : index
  %e = tensor.empty() : tensor<7xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<7xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = arith.divsi %i, %two : index
    %v = tensor.extract %x[%s] : tensor<4xf32>
    linalg.yield %v : f32
  } -> tensor<7xf32>
  return %r : tensor<7xf32>
}
