// RUN: %chlast-opt --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s

// A conv on memrefs is left alone with a remark that says so (the pass works
// on tensors, before bufferization).
//
// History (a misleading diagnostic, fixed in classify.rs): a conv on memrefs (fully static) was
// reported as "left in its original layout: dynamic shapes (channels-last
// conversion needs static shapes)", both as a remark and in the statistics.
// unconvertible_conv_reason() takes any operand for which static_tensor()
// returns None (memrefs included) as dynamic.
//
// Observed: remark and convs_skipped reason "dynamic shapes (...)".
// Expected: a reason that says what is wrong (e.g. "operands are not
// tensors"), or no report at all for a buffer-level conv.

// CHECK: {"function":"memref_conv",
// CHECK-NOT: dynamic shapes
func.func @memref_conv(%x: memref<1x4x8x8xf32>, %w: memref<8x4x3x3xf32>, %o: memref<1x8x6x6xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : memref<1x4x8x8xf32>, memref<8x4x3x3xf32>) outs(%o : memref<1x8x6x6xf32>)
  return
}
