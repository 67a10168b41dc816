// RUN: %chlast-opt --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// Regression test, fixed in the pass (was a bug) (avoidable runtime conversion): only arith.constant and
// tensor.empty are treated as free to re-create in another layout. A
// linalg.fill of a tensor.empty (torch-mlir's init for convs without bias,
// and what CSE leaves when several ops share a zero init) is as free: fill a
// fresh empty in the other layout. When such a fill feeds both a
// channels-last conv and a use that needs NCHW, the pass converts the filled
// tensor at run time (chlast.to_layout of the linalg.fill result, 1152 bytes
// here) instead of creating a second fill.
//
// Observed: %3 = chlast.to_layout %2 (the fill) -> nhwc, used as the conv's
// outs; 3 runtime conversions, 2688 bytes.
// Expected: a second linalg.fill into an NHWC tensor.empty for the conv; 2
// runtime conversions (input, result), 1536 bytes.
// (Same cause: a lone conv whose fill init is also used elsewhere is left
// unconverted by the cost rule, while the same conv with an equivalent
// `arith.constant dense<0.0>` init is converted.)

// CHECK-LABEL: func.func @fill_shared_with_opaque_user(
// CHECK-NOT:     chlast.to_layout {{.*}}tensor<1x8x6x6xf32> -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.fill {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout {{.*}}tensor<1x8x6x6xf32> -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         return

// STATS: {"function":"fill_shared_with_opaque_user",
// STATS-SAME: "runtime_conversion_count":2,"runtime_conversion_bytes":1536,
func.func @fill_shared_with_opaque_user(%x: tensor<1x4x8x8xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x6x6xf32>) {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %o1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%c0, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%o1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1, %o : tensor<1x8x4x4xf32>, tensor<1x8x6x6xf32>
}
