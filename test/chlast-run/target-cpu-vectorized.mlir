// The CPU target's vectorized kernels (chlast-vectorize-cpu, polynomial
// exp/tanh/erf) compute what the scalar reference loops compute, on seeded
// inputs: each entry through `--target cpu` against `--target cpu-reference`.
// RUN: %chlast-run %s --entry group_norm_silu_nhwc --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry causal_pad_conv_gelu --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry softmax_rows --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry odd_sizes_transpose --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry keepdim_mean_of_scaled --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry nearest_upsample_nhwc --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// RUN: %chlast-run %s --entry large_bias_silu --target cpu --compare %s --compare-target cpu-reference | FileCheck %s
// CHECK: result0: {{.*}}: PASS

// Ops of at least 16384 iterations run their outer loop on OpenMP threads
// (libomp): the JIT's machine code (kept by CHLAST_JIT_OBJECT) calls
// __kmpc_fork_call. (Which ops stay on one thread is checked on the pass,
// test/Conversion/cpu/vectorize-cpu.mlir.)
// RUN: env CHLAST_JIT_OBJECT=%t.o %chlast-run %s --entry large_bias_silu --target cpu --threads 2
// RUN: llvm-nm %t.o | FileCheck %s --check-prefix=THREADS
// THREADS: U __kmpc_fork_call

#id4 = affine_map<(n, h, w, c) -> (n, h, w, c)>
#ch4 = affine_map<(n, h, w, c) -> (c)>

// Group norm (8 groups of 4 channels) in NHWC order, then SiLU: reductions
// over H, W and the channels of a group, exp.
func.func @group_norm_silu_nhwc(%x: tensor<1x8x8x32xf32>, %gamma: tensor<32xf32>,
                                %beta: tensor<32xf32>) -> tensor<1x8x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %count = arith.constant 256.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %g = tensor.expand_shape %x [[0], [1], [2], [3, 4]] output_shape [1, 8, 8, 8, 4]
      : tensor<1x8x8x32xf32> into tensor<1x8x8x8x4xf32>
  %e = tensor.empty() : tensor<1x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8xf32>) -> tensor<1x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(n, g, h, w, c) -> (n, h, w, g, c)>,
                                          affine_map<(n, g, h, w, c) -> (n, g)>],
                         iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%g : tensor<1x8x8x8x4xf32>) outs(%z : tensor<1x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(n, g, h, w, c) -> (n, h, w, g, c)>,
                                         affine_map<(n, g, h, w, c) -> (n, g)>],
                        iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%g : tensor<1x8x8x8x4xf32>) outs(%z : tensor<1x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %m, %acc : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  %out = tensor.empty() : tensor<1x8x8x8x4xf32>
  %norm = linalg.generic {indexing_maps = [affine_map<(n, h, w, g, c) -> (n, h, w, g, c)>,
                                           affine_map<(n, h, w, g, c) -> (n, g)>,
                                           affine_map<(n, h, w, g, c) -> (n, g)>,
                                           affine_map<(n, h, w, g, c) -> (n, h, w, g, c)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %sum, %sq : tensor<1x8x8x8x4xf32>, tensor<1x8xf32>, tensor<1x8xf32>)
      outs(%out : tensor<1x8x8x8x4xf32>) {
  ^bb0(%a: f32, %s: f32, %q: f32, %o: f32):
    %mean = arith.divf %s, %count : f32
    %meansq = arith.divf %q, %count : f32
    %mm = arith.mulf %mean, %mean : f32
    %var = arith.subf %meansq, %mm : f32
    %ve = arith.addf %var, %eps : f32
    %r = math.rsqrt %ve : f32
    %d = arith.subf %a, %mean : f32
    %n = arith.mulf %d, %r : f32
    linalg.yield %n : f32
  } -> tensor<1x8x8x8x4xf32>
  %flat = tensor.collapse_shape %norm [[0], [1], [2], [3, 4]]
      : tensor<1x8x8x8x4xf32> into tensor<1x8x8x32xf32>
  %y0 = tensor.empty() : tensor<1x8x8x32xf32>
  %y = linalg.generic {indexing_maps = [#id4, #ch4, #ch4, #id4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%flat, %gamma, %beta : tensor<1x8x8x32xf32>, tensor<32xf32>, tensor<32xf32>)
      outs(%y0 : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %ga: f32, %be: f32, %o: f32):
    %m = arith.mulf %a, %ga : f32
    %b = arith.addf %m, %be : f32
    %neg = arith.negf %b : f32
    %ex = math.exp %neg : f32
    %den = arith.addf %ex, %one : f32
    %s = arith.divf %b, %den : f32
    linalg.yield %s : f32
  } -> tensor<1x8x8x32xf32>
  return %y : tensor<1x8x8x32xf32>
}

// A causal (front-only) pad, which stays a copy into a strided view, a conv
// and GELU through erf.
func.func @causal_pad_conv_gelu(%x: tensor<1x6x6x8xf32>, %w: tensor<16x3x3x8xf32>)
    -> tensor<1x6x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %rsqrt2 = arith.constant 0.70710678 : f32
  %p = tensor.pad %x low[0, 2, 0, 0] high[0, 0, 0, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x6x6x8xf32> to tensor<1x8x6x8xf32>
  %e = tensor.empty() : tensor<1x6x4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x4x16xf32>) -> tensor<1x6x4x16xf32>
  %c = linalg.conv_2d_nhwc_fhwc ins(%p, %w : tensor<1x8x6x8xf32>, tensor<16x3x3x8xf32>)
      outs(%z : tensor<1x6x4x16xf32>) -> tensor<1x6x4x16xf32>
  %y = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x6x4x16xf32>) outs(%e : tensor<1x6x4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %rsqrt2 : f32
    %erf = math.erf %s : f32
    %t = arith.addf %erf, %one : f32
    %h = arith.mulf %a, %half : f32
    %g = arith.mulf %h, %t : f32
    linalg.yield %g : f32
  } -> tensor<1x6x4x16xf32>
  return %y : tensor<1x6x4x16xf32>
}

// Softmax over the innermost dim: max and sum reductions along the vector
// dim, exp.
func.func @softmax_rows(%x: tensor<4x96xf32>) -> tensor<4x96xf32> {
  %ninf = arith.constant -3.4e38 : f32
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x96xf32>) outs(%m0 : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.maximumf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x96xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>,
                                         affine_map<(i, j) -> (i, j)>],
                        iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x96xf32>, tensor<4xf32>) outs(%e2 : tensor<4x96xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %s = math.exp %d : f32
    linalg.yield %s : f32
  } -> tensor<4x96xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%ex : tensor<4x96xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>,
                                        affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%ex, %s : tensor<4x96xf32>, tensor<4xf32>) outs(%e2 : tensor<4x96xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.divf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4x96xf32>
  return %y : tensor<4x96xf32>
}

// NCHW -> NHWC with odd extents (3 channels, 7 x 5 pixels) and tanh: the
// vector dim has no divisor of at least 4 up to 64 where it is 3 or 7.
func.func @odd_sizes_transpose(%x: tensor<1x3x7x5xf32>) -> tensor<1x7x5x3xf32> {
  %e = tensor.empty() : tensor<1x7x5x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, c, h, w)>, #id4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x3x7x5xf32>) outs(%e : tensor<1x7x5x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<1x7x5x3xf32>
  return %y : tensor<1x7x5x3xf32>
}

// Nearest 2x upsample in NHWC as importers write it (a gather through
// tensor.extract; it stays scalar loops).
func.func @nearest_upsample_nhwc(%x: tensor<1x4x4x8xf32>) -> tensor<1x8x8x8xf32> {
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %y = linalg.generic {indexing_maps = [#id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%e : tensor<1x8x8x8xf32>) {
  ^bb0(%o: f32):
    %n = linalg.index 0 : index
    %h = linalg.index 1 : index
    %w = linalg.index 2 : index
    %c = linalg.index 3 : index
    %sh = arith.divui %h, %c2 : index
    %sw = arith.divui %w, %c2 : index
    %v = tensor.extract %x[%n, %sh, %sw, %c] : tensor<1x4x4x8xf32>
    linalg.yield %v : f32
  } -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// PyTorch-shaped parameters [C, 1, 1] read through (c, 0, 0) and a keepdim
// mean written through (n, 0, 0, c): unit dims indexed by constants.
func.func @keepdim_mean_of_scaled(%x: tensor<1x8x8x16xf32>, %w: tensor<16x1x1xf32>)
    -> tensor<1x1x1x16xf32> {
  %zero = arith.constant 0.0 : f32
  %count = arith.constant 64.0 : f32
  %e = tensor.empty() : tensor<1x8x8x16xf32>
  %s = linalg.generic {indexing_maps = [#id4, affine_map<(n, h, w, c) -> (c, 0, 0)>, #id4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %w : tensor<1x8x8x16xf32>, tensor<16x1x1xf32>) outs(%e : tensor<1x8x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x16xf32>
  %e2 = tensor.empty() : tensor<1x1x1x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x1x1x16xf32>) -> tensor<1x1x1x16xf32>
  %sum = linalg.generic {indexing_maps = [#id4, affine_map<(n, h, w, c) -> (n, 0, 0, c)>],
                         iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%s : tensor<1x8x8x16xf32>) outs(%z : tensor<1x1x1x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<1x1x1x16xf32>
  %mean = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x1x1x16xf32>) outs(%e2 : tensor<1x1x1x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.divf %a, %count : f32
    linalg.yield %d : f32
  } -> tensor<1x1x1x16xf32>
  return %mean : tensor<1x1x1x16xf32>
}

// A bias and SiLU over 1x32x32x32 (32768 iterations): vectorized along C,
// its pixel loop on threads.
func.func @large_bias_silu(%x: tensor<1x32x32x32xf32>, %b: tensor<32xf32>) -> tensor<1x32x32x32xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<1x32x32x32xf32>
  %y = linalg.generic {indexing_maps = [#id4, #ch4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : tensor<1x32x32x32xf32>, tensor<32xf32>) outs(%e : tensor<1x32x32x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %n = arith.negf %s : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %r = arith.divf %s, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x32x32x32xf32>
  return %y : tensor<1x32x32x32xf32>
}
