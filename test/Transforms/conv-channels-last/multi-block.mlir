// RUN: %chlast-opt --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s

// Regression test, fixed in the pass (was a bug) (silent skip): a func.func whose body has more than one block
// (e.g. after cf lowering, or an early exit) is skipped without any remark
// and without a statistics line: Function::analyze only runs when
// ir::single_body_block() finds exactly one block. Its convs are not counted
// in convs_found and the user gets no hint why nothing happened.
//
// Observed: no output at all for @multi_block (no remark, no JSON line).
// Expected: a JSON line for @multi_block with its conv in convs_skipped (and
// a remark), like other unsupported cases; or the function handled.

// CHECK: {"function":"multi_block","convs_found":1,
// CHECK-SAME: "convs_skipped":[{
func.func @multi_block(%x: tensor<1x4x8x8xf32>, %b: i1) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  cf.cond_br %b, ^bb1, ^bb2
^bb1:
  return %0 : tensor<1x8x6x6xf32>
^bb2:
  return %e : tensor<1x8x6x6xf32>
}
