// RUN: %chlast-opt --split-input-file --chlast-split-reductions %s | FileCheck %s
// RUN: %chlast-opt --split-input-file "--chlast-lower-to-cuda=stats=-" %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATS
// RUN: %chlast-opt --split-input-file "--chlast-split-reductions=max-serial=8192" %s | FileCheck %s --check-prefix=LIMIT
// RUN: not %chlast-opt "--chlast-split-reductions=max-serial=1" %s 2>&1 | FileCheck %s --check-prefix=BAD
// The split sums are the sums: cpu-cudnn (the CUDA pipeline's passes, split
// included) against the plain CPU lowering (cpu-reference), on seeded inputs.
// RUN: %chlast-run %s --entry group_norm_sum --target cpu-cudnn --compare %s --compare-target cpu-reference | FileCheck %s --check-prefix=SAME
// RUN: %chlast-run %s --entry keepdim_batch_two --target cpu-cudnn --compare %s --compare-target cpu-reference | FileCheck %s --check-prefix=SAME
// RUN: %chlast-run %s --entry two_dims --target cpu-cudnn --compare %s --compare-target cpu-reference | FileCheck %s --check-prefix=SAME
// RUN: %chlast-run %s --entry promoted_last_dim --target cpu-cudnn --compare %s --compare-target cpu-reference | FileCheck %s --check-prefix=SAME
// SAME: result0: {{.*}}: PASS

// Group-norm statistics over [N, G, C/G * H * W]: 8 threads of 16384
// iterations become 512 threads of 256 (partials, the parallel loops outermost and the split dim innermost so that
// neighbouring threads read neighbouring elements) and 8 threads of 64.

// CHECK-LABEL: func.func @group_norm_sum(
// The keepdim output [1, 8, 1] written through (d0, d1, 0) is collapsed
// first (upstream's split misreads constant output indices).
// CHECK:         %[[INIT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<1x8x1xf32> into tensor<1x8xf32>
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [1, 8, 256, 64] : tensor<1x8x16384xf32> into tensor<1x8x256x64xf32>
// CHECK:         %[[PARTIAL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME:      outs(%{{.*}} : tensor<1x8x64xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME:      ins(%[[PARTIAL]] : tensor<1x8x64xf32>) outs(%[[INIT]] : tensor<1x8xf32>)
// CHECK:         tensor.expand_shape %[[SUM]] {{\[}}[0], [1, 2]] output_shape [1, 8, 1] : tensor<1x8xf32> into tensor<1x8x1xf32>

// The lowered program: no kernel loops longer than 256 times per thread.
// STATS: "max_serial_trip_count":256,"kernels_over_4096_serial":0,
// STATS-SAME: {"op":"linalg.generic","loc":"{{.*}}split-reductions.mlir:{{[0-9]+}}:{{[0-9]+}}","threads":512,"serial":256,
// STATS-SAME: "threads":8,"serial":64,

// LIMIT-LABEL: func.func @group_norm_sum(
// LIMIT:         iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// LIMIT-SAME:      outs(%{{.*}} : tensor<1x8x2xf32>)

// BAD: max-serial must be at least 2
func.func @group_norm_sum(%x: tensor<1x8x16384xf32>) -> tensor<1x8x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x8x16384xf32>) outs(%z : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1xf32>
  return %s : tensor<1x8x1xf32>
}

// -----

// Found by chlast-fuzz (seed 37): a batch of 2 and one group, 720 = 3 x 240;
// upstream's split alone built a map reading a dim that does not exist.

// CHECK-LABEL: func.func @keepdim_batch_two(
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1x3xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1xf32>)
func.func @keepdim_batch_two(%x: tensor<2x1x720xf32>) -> tensor<2x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x1x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x1x720xf32>) outs(%z : tensor<2x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x1x1xf32>
  return %s : tensor<2x1x1xf32>
}

// -----

// Left alone: a reduction already short, and one whose extent (4099, a
// prime) has no divisor that would help.

// STATS-NEXT: "max_serial_trip_count":240,"kernels_over_4096_serial":0,

// promoted_last_dim, below: the promoted C joins the grid.
// STATS: "max_serial_trip_count":256,{{.*}}"threads":512,"serial":256,

// The statistics report what is left: the prime extent, 4099 iterations
// per thread.
// STATS: "max_serial_trip_count":4099,"kernels_over_4096_serial":1,
// STATS-SAME: "threads":2,"serial":4099,

// CHECK-LABEL: func.func @short(
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @short(%x: tensor<4x256xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x256xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// Two reduction dims, 10000 iterations together: the first is made
// parallel (partial sums per row, 200 threads of 100), then combined (2
// threads of 100).
// CHECK-LABEL: func.func @two_dims(
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PARTIAL_INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x100xf32>)
// CHECK:         %[[PARTIAL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<2x100x100xf32>) outs(%[[PARTIAL_INIT]] : tensor<2x100xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<2x100xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK:           arith.addf
func.func @two_dims(%x: tensor<2x100x100xf32>, %z: tensor<2xf32>) -> tensor<2xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : tensor<2x100x100xf32>) outs(%z : tensor<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

// The promoted dim (C, the largest) comes after the reductions left (H, W):
// the partial op's loops are interchanged so that C joins the grid instead of
// looping inside each thread (4 x 128 threads of 4 x 64, not 4 threads of
// 4 x 64 x 128); the final op is built after it (dominance).

// CHECK:       #[[READ:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @promoted_last_dim(
// CHECK:         %[[PARTIAL:.*]] = linalg.generic {indexing_maps = [#[[READ]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}} : tensor<4x4x64x128xf32>) outs(%{{.*}} : tensor<4x128xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<4x128xf32>)
func.func @promoted_last_dim(%x: tensor<4x4x64x128xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%x : tensor<4x4x64x128xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @prime(
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @prime(%x: tensor<2x4099xf32>, %z: tensor<2xf32>) -> tensor<2xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x4099xf32>) outs(%z : tensor<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  return %s : tensor<2xf32>
}
