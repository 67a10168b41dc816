// bf16 arithmetic runs on the CPU (f32 -> bf16 rounding is expanded to
// integer ops by arith-expand{include-bf16}; the JIT has no __truncsfbf2),
// and rounds as adding in f32 then truncating does.

// RUN: %chlast-run %s --seed 5 --compare %S/Inputs/bf16-via-f32.mlir --rtol 0 --atol 0 | FileCheck %s
// CHECK: result0: tensor<4x8xbf16> max abs error 0.000e0, {{.*}}: PASS
func.func @add(%x: tensor<4x8xbf16>, %y: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %e = tensor.empty() : tensor<4x8xbf16>
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x8xbf16>, tensor<4x8xbf16>) outs(%e : tensor<4x8xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %s = arith.addf %a, %b : bf16
    linalg.yield %s : bf16
  } -> tensor<4x8xbf16>
  return %z : tensor<4x8xbf16>
}
