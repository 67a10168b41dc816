// `--profile-ops` times every op of the program as it runs (after fusion:
// the exp is part of the reduction): the time per kind of op, then the
// slowest ops with what they are and where they came from. The profiled
// program computes what the plain one does.
// RUN: %chlast-run %s --iterations 3 --profile-ops --compare %s | FileCheck %s
// CHECK: result0: {{.*}}: PASS
// CHECK: ops (ms per run over 3 runs, {{[0-9.]+}} in {{[0-9]+}} ops):
// CHECK: {{[0-9.]+}}  reduction x1
// CHECK: slowest ops:
// CHECK: {{[0-9.]+}}  reduction 64x32 [exp addf] @ profile-ops.mlir:{{[0-9]+}}

// It needs a CPU target and timed runs.
// RUN: not %chlast-run %s --profile-ops 2>&1 | FileCheck %s --check-prefix=NO-ITER
// RUN: not %chlast-run %s --profile-ops --iterations 2 --target cuda 2>&1 | FileCheck %s --check-prefix=NO-ITER
// NO-ITER: --profile-ops needs a CPU target and --iterations

func.func @exp_then_sum(%x: tensor<64x32xf32>) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e2 : tensor<32xf32>) -> tensor<32xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]} ins(%y : tensor<64x32xf32>) outs(%z : tensor<32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<32xf32>
  return %s : tensor<32xf32>
}
