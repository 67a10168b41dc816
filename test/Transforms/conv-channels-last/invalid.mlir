// Error cases of the pass options.
// RUN: not %chlast-opt --conv-channels-last=strategy=greedy %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=STRATEGY
// RUN: not %chlast-opt --conv-channels-last=max-ops-per-conv=-1 %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=NUMBER

// STRATEGY: for the --strategy option: Cannot find option named 'greedy'!
// NUMBER: max-ops-per-conv

func.func @conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
