// A loop carrying a tensor (scf.for with iter_args, each iteration making a
// new one) runs on the CPU and through the cuDNN-call lowering: doubling
// three times equals multiplying by 8.

// RUN: %chlast-run %s --seed 3 --compare %S/Inputs/loops-closed-form.mlir | FileCheck %s
// RUN: %chlast-run %s --seed 3 --target cpu-cudnn --compare %S/Inputs/loops-closed-form.mlir --compare-target cpu | FileCheck %s
// CHECK: result0: tensor<4x8xf32> max abs error 0.000e0, {{.*}}: PASS
func.func @doubled(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %x) -> (tensor<4x8xf32>) {
    %e = tensor.empty() : tensor<4x8xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%acc : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %in : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32>
    scf.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
