// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// A conv inside a loop or a conditional is not laid out (the pass assigns
// layouts to the ops at the top level of a function), and says so.

// CHECK-LABEL: func.func @conv_in_a_loop(
// CHECK-NOT:     chlast.to_layout
// STATS: {"function":"conv_in_a_loop","convs_found":1,"convs_converted":0,"convs_skipped":[{"conv":{{.*}},"code":"nested","reason":"inside 'scf.for' (layouts are assigned to the ops at the top level of a function)"}]
func.func @conv_in_a_loop(%x: tensor<1x4x8x8xf32>, %init: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4x3x3xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %init) -> (tensor<1x4x6x6xf32>) {
    // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: inside 'scf.for'}}
    %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
           ins(%x, %w : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) outs(%acc : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    scf.yield %y : tensor<1x4x6x6xf32>
  }
  return %r : tensor<1x4x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @conv_in_a_conditional(
// CHECK-NOT:     chlast.to_layout
// STATS: {"function":"conv_in_a_conditional","convs_found":1,"convs_converted":0,
func.func @conv_in_a_conditional(%x: tensor<1x4x8x8xf32>, %o: tensor<1x4x6x6xf32>, %flag: i1) -> tensor<1x4x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4x3x3xf32>
  %r = scf.if %flag -> (tensor<1x4x6x6xf32>) {
    // expected-remark @+1 {{left in its original layout: inside 'scf.if'}}
    %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
           ins(%x, %w : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) outs(%o : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    scf.yield %y : tensor<1x4x6x6xf32>
  } else {
    scf.yield %o : tensor<1x4x6x6xf32>
  }
  return %r : tensor<1x4x6x6xf32>
}
