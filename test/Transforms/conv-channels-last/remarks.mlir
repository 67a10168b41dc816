// RUN: %chlast-opt --split-input-file --conv-channels-last --verify-diagnostics %s -o /dev/null

// The pass explains itself with remarks at the ops concerned: every conv it
// leaves in its original layout (with the reason the statistics give under
// the same `code`), and every runtime conversion inside a function (at the
// op that keeps the other layout). Checked with MLIR's own
// --verify-diagnostics, so an unexpected or missing remark fails the test.

func.func @dynamic_conv(%x: tensor<?x4x8x8xf32>, %o: tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: dynamic shapes (channels-last conversion needs static shapes)}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

func.func @cost_skipped(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  // expected-remark @+1 {{left in its original layout: converting it would move more bytes in layout conversions at its boundaries than it saves}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func private @opaque(tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
func.func @interior(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  // Two conversions (into and out of the call) give the same remark here;
  // the verifier sees identical diagnostics at one place once (stats.mlir
  // counts both).
  // expected-remark @+1 {{conv-channels-last: layout conversion of 1152 bytes here: chlast cannot compute this op in a permuted layout}}
  %o = call @opaque(%c0) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%o, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1 : tensor<1x8x4x4xf32>
}

// -----

func.func @nested(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %n: index) -> tensor<1x8x6x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %e) -> tensor<1x8x6x6xf32> {
    // expected-remark @+1 {{left in its original layout: inside 'scf.for' (layouts are assigned to the ops at the top level of a function)}}
    %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
           ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%acc : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    scf.yield %0 : tensor<1x8x6x6xf32>
  }
  return %r : tensor<1x8x6x6xf32>
}

// -----

// No remark when nothing is left behind: conversions at the boundary are
// reported in the statistics only.
func.func @converted(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
