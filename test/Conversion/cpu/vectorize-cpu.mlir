// RUN: %chlast-opt --split-input-file --chlast-vectorize-cpu %s | FileCheck %s
// RUN: %chlast-opt --split-input-file "--chlast-vectorize-cpu=vector-size=16" %s | FileCheck %s --check-prefix=SIZE
// RUN: %chlast-opt --split-input-file "--chlast-vectorize-cpu=parallel-threshold=2048" %s | FileCheck %s --check-prefix=PAR
// RUN: not %chlast-opt "--chlast-vectorize-cpu=vector-size=0" %s 2>&1 | FileCheck %s --check-prefix=BAD

// A channels-last bias add: H and W are collapsed (the bias does not read
// them), C is the vector dim; one vector<32xf32> per pixel.

// CHECK-LABEL: func.func @bias_channels_last(
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : memref<1x8x8x32xf32> into memref<64x32xf32>
// CHECK:         scf.for
// CHECK:           vector.transfer_read {{.*}}, vector<32xf32>
// CHECK:           vector.transfer_read {{.*}} : memref<32xf32>, vector<32xf32>
// CHECK:           arith.addf {{.*}} : vector<32xf32>
// CHECK:           vector.transfer_write {{.*}} : vector<32xf32>, memref<32xf32
// CHECK-NOT:     linalg.generic
// SIZE-LABEL: func.func @bias_channels_last(
// SIZE:         arith.addf {{.*}} : vector<16xf32>

// With parallel-threshold=2048 (the op has 2048 iterations) the outer loop
// over pixels is an scf.parallel (OpenMP threads later); by default, and
// for the smaller ops below, loops stay scf.for.
// PAR-LABEL: func.func @bias_channels_last(
// PAR:         scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// PAR:           arith.addf {{.*}} : vector<32xf32>
// PAR-LABEL: func.func @long_collapsed(
// PAR-NOT:     scf.parallel
// PAR-LABEL: func.func @spatial_sum_channels_last(
// PAR-NOT:     scf.parallel
// PAR-LABEL: func.func @pad_interior_copy(
// CHECK-NOT:   scf.parallel

// BAD: vector-size must be at least 1
func.func @bias_channels_last(%x: memref<1x8x8x32xf32>, %b: memref<32xf32>,
                              %y: memref<1x8x8x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>,
                                   affine_map<(n, h, w, c) -> (c)>,
                                   affine_map<(n, h, w, c) -> (n, h, w, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<1x8x8x32xf32>, memref<32xf32>) outs(%y : memref<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An elementwise op on identity layouts collapses to one loop of 1200
// elements, tiled by the largest divisor up to 64 (60; 16 with vector-size=16).

// CHECK-LABEL: func.func @long_collapsed(
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : memref<2x4x150xf32> into memref<1200xf32>
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK:           math.absf {{.*}} : vector<60xf32>
// SIZE-LABEL: func.func @long_collapsed(
// SIZE:         math.absf {{.*}} : vector<16xf32>
func.func @long_collapsed(%x: memref<2x4x150xf32>, %y: memref<2x4x150xf32>) {
  linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>,
                                   affine_map<(a, b, c) -> (a, b, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x4x150xf32>) outs(%y : memref<2x4x150xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = math.absf %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A channels-last spatial sum: the reduction loops (H, W) are collapsed and
// tiled by 1, the parallel C is the vector dim, so each step adds one
// contiguous vector<16xf32> into the accumulator.

// CHECK-LABEL: func.func @spatial_sum_channels_last(
// CHECK:         scf.for
// CHECK:           memref.subview %{{.*}} : memref<1x64x16xf32> to memref<1x1x16xf32
// CHECK:           vector.transfer_read {{.*}}, vector<16xf32>
// CHECK:           vector.transfer_read {{.*}}, vector<16xf32>
// CHECK:           arith.addf {{.*}} : vector<16xf32>
// CHECK:           vector.transfer_write {{.*}} : vector<16xf32>, memref<16xf32
func.func @spatial_sum_channels_last(%x: memref<1x8x8x16xf32>, %y: memref<1x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, h, w, c)>,
                                   affine_map<(n, c, h, w) -> (n, c)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<1x8x8x16xf32>) outs(%y : memref<1x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A copy into a pad's interior (a strided view) becomes vectorized loops
// instead of the runtime's element-by-element memrefCopy; a contiguous
// copy stays (memcpy). W and C, contiguous within a row of the view,
// collapse into one dim of 128.

// CHECK-LABEL: func.func @pad_interior_copy(
// CHECK:         memref.subview
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x8x8x16xf32, strided<[1600, 160, 16, 1], offset: 176>> into memref<1x8x128xf32, strided<[1600, 160, 1], offset: 176>>
// CHECK:         scf.for
// CHECK:         vector.transfer_read {{.*}}, vector<64xf32>
// CHECK:         vector.transfer_write {{.*}} : vector<64xf32>, memref<64xf32
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<1x8x8x16xf32> to memref<1x8x8x16xf32>
func.func @pad_interior_copy(%x: memref<1x8x8x16xf32>, %p: memref<1x10x10x16xf32>,
                             %z: memref<1x8x8x16xf32>) {
  %interior = memref.subview %p[0, 1, 1, 0] [1, 8, 8, 16] [1, 1, 1, 1]
      : memref<1x10x10x16xf32> to memref<1x8x8x16xf32, strided<[1600, 160, 16, 1], offset: 176>>
  memref.copy %x, %interior : memref<1x8x8x16xf32> to memref<1x8x8x16xf32, strided<[1600, 160, 16, 1], offset: 176>>
  memref.copy %x, %z : memref<1x8x8x16xf32> to memref<1x8x8x16xf32>
  return
}

// -----

// SiLU: exp becomes upstream's polynomial approximation on the vector
// (the 4x32 op collapses to 128 elements, two vectors of 64).

// CHECK-LABEL: func.func @silu(
// CHECK-NOT:     math.exp
// CHECK:         arith.divf {{.*}} : vector<64xf32>
func.func @silu(%x: memref<4x32xf32>, %y: memref<4x32xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %a, %d : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a gather through memref.load (the vectorizer refuses it), a
// dynamic shape, a convolution (it is a cuDNN/oneDNN call by now or stays
// loops), a power with an exponent only known at run time, and bf16
// arithmetic (x86 would convert each lane through a libgcc call).

// CHECK-LABEL: func.func @left_alone(
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:     vector.
func.func @left_alone(%x: memref<4x8xf32>, %y: memref<8x8xf32>, %d: memref<?xf32>,
                      %e: memref<?xf32>, %i: memref<1x6x6x2xf32>, %w: memref<3x3x2x4xf32>,
                      %o: memref<1x4x4x4xf32>, %k: memref<8xi32>, %q: memref<8xf32>,
                      %bf: memref<8xbf16>) {
  linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>],
                  iterator_types = ["parallel", "parallel"]}
      outs(%y : memref<8x8xf32>) {
  ^bb0(%out: f32):
    %r = linalg.index 0 : index
    %c2 = arith.constant 2 : index
    %h = arith.divui %r, %c2 : index
    %c = linalg.index 1 : index
    %v = memref.load %x[%h, %c] : memref<4x8xf32>
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(a) -> (a)>, affine_map<(a) -> (a)>],
                  iterator_types = ["parallel"]}
      ins(%d : memref<?xf32>) outs(%e : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.negf %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(n, h, w, f, kh, kw, c) -> (n, h + kh, w + kw, c)>,
                                   affine_map<(n, h, w, f, kh, kw, c) -> (kh, kw, c, f)>,
                                   affine_map<(n, h, w, f, kh, kw, c) -> (n, h, w, f)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%i, %w : memref<1x6x6x2xf32>, memref<3x3x2x4xf32>) outs(%o : memref<1x4x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(a) -> (a)>, affine_map<(a) -> (a)>],
                  iterator_types = ["parallel"]}
      ins(%k : memref<8xi32>) outs(%q : memref<8xf32>) {
  ^bb0(%p: i32, %b: f32):
    %two = arith.constant 2.0 : f32
    %s = math.fpowi %two, %p : f32, i32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(a) -> (a)>],
                  iterator_types = ["parallel"]}
      outs(%bf : memref<8xbf16>) {
  ^bb0(%b: bf16):
    %s = arith.addf %b, %b : bf16
    linalg.yield %s : bf16
  }
  return
}

// -----

// Group-norm statistics in channels-last order: the channels of a group
// (C/G, a reduction) and the groups (G) are the input's innermost dims, HW
// is reduced outside them. C/G becomes parallel: partial sums over HW per
// channel, vectorized along G * C/G = 32 lanes, then a small op summing
// the 4 channels of each group into the output.

// CHECK-LABEL: func.func @group_stats_channels_last(
// CHECK:         %[[P:.*]] = memref.alloc() : memref<1x8x4xf32>
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x64x8x4xf32> into memref<1x64x32xf32>
// CHECK:         memref.collapse_shape %[[P]] {{\[}}[0], [1, 2]] : memref<1x8x4xf32> into memref<1x32xf32>
// CHECK:         scf.for
// CHECK:           arith.addf {{.*}} : vector<32xf32>
// CHECK:         scf.for
// CHECK:           vector.multi_reduction <add>, {{.*}} : vector<1x4xf32> to vector<1xf32>
// CHECK:         memref.dealloc %[[P]] : memref<1x8x4xf32>
func.func @group_stats_channels_last(%x: memref<1x64x8x4xf32>, %s: memref<1x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, g, p, c) -> (n, p, g, c)>,
                                   affine_map<(n, g, p, c) -> (n, g)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<1x64x8x4xf32>) outs(%s : memref<1x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Group-norm normalization in channels-last order: the per-group mean
// ([N, G]) reads G but not C/G, which would keep them apart (vectors of
// C/G = 4 lanes). The mean is widened to [N, G, C/G] first, then G and C/G
// collapse into 32 lanes.

// CHECK-LABEL: func.func @group_apply_channels_last(
// CHECK:         %[[W:.*]] = memref.alloc() : memref<1x8x4xf32>
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x64x8x4xf32> into memref<1x64x32xf32>
// CHECK:         scf.for
// CHECK:           arith.subf {{.*}} : vector<32xf32>
// CHECK:         memref.dealloc %[[W]]
func.func @group_apply_channels_last(%x: memref<1x64x8x4xf32>, %m: memref<1x8xf32>,
                                     %y: memref<1x64x8x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, p, g, c) -> (n, p, g, c)>,
                                   affine_map<(n, p, g, c) -> (n, g)>,
                                   affine_map<(n, p, g, c) -> (n, p, g, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %m : memref<1x64x8x4xf32>, memref<1x8xf32>) outs(%y : memref<1x64x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// PyTorch's per-channel parameters [C, 1, 1] read through (c, 0, 0) become
// a rank-reduced view, so the op collapses and reads them as vectors.

// CHECK-LABEL: func.func @per_channel_scale(
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2]] : memref<16x1x1xf32> into memref<16xf32>
// CHECK:         scf.for
// CHECK:           arith.mulf {{.*}} : vector<16xf32>
func.func @per_channel_scale(%x: memref<1x4x4x16xf32>, %w: memref<16x1x1xf32>,
                             %y: memref<1x4x4x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>,
                                   affine_map<(n, h, w, c) -> (c, 0, 0)>,
                                   affine_map<(n, h, w, c) -> (n, h, w, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %w : memref<1x4x4x16xf32>, memref<16x1x1xf32>) outs(%y : memref<1x4x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A group norm writing straight into a conv's padded input (a strided
// view): only the dims contiguous in that view collapse (G, 1, C/G, not
// W), the per-group statistics are widened, and the op runs on 32-channel
// vectors rather than C/G = 4 lanes. A fill of the padded buffer collapses
// to one flat loop.

// CHECK-LABEL: func.func @group_apply_into_pad_interior(
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3, 4, 5]] : memref<1x10x10x8x1x4xf32> into memref<3200xf32>
// CHECK:         vector.transfer_write {{.*}} : vector<64xf32>, memref<64xf32
// CHECK:         memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2], [3, 4, 5]] : memref<1x8x8x8x1x4xf32, strided<[3200, 320, 32, 4, 4, 1], offset: 352>> into memref<1x8x8x32xf32, strided<[3200, 320, 32, 1], offset: 352>>
// CHECK:         arith.subf {{.*}} : vector<32xf32>
// SIZE-LABEL:    func.func @group_apply_into_pad_interior(
// SIZE:          arith.subf {{.*}} : vector<16xf32>
func.func @group_apply_into_pad_interior(%x: memref<1x8x8x8x1x4xf32>, %m: memref<1x8x1xf32>,
                                         %buf: memref<1x10x10x8x1x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%buf : memref<1x10x10x8x1x4xf32>)
  %s = memref.subview %buf[0, 1, 1, 0, 0, 0] [1, 8, 8, 8, 1, 4] [1, 1, 1, 1, 1, 1]
      : memref<1x10x10x8x1x4xf32> to memref<1x8x8x8x1x4xf32, strided<[3200, 320, 32, 4, 4, 1], offset: 352>>
  linalg.generic {indexing_maps = [affine_map<(n, g, u, c, h, w) -> (n, h, w, g, u, c)>,
                                   affine_map<(n, g, u, c, h, w) -> (n, g, u)>,
                                   affine_map<(n, g, u, c, h, w) -> (n, h, w, g, u, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %m : memref<1x8x8x8x1x4xf32>, memref<1x8x1xf32>)
      outs(%s : memref<1x8x8x8x1x4xf32, strided<[3200, 320, 32, 4, 4, 1], offset: 352>>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  }
  return
}
