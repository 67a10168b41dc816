// Statistics can go to a file instead of stderr (one JSON object per line,
// one line per function of the module).
// RUN: rm -f %t.json
// RUN: %chlast-opt --conv-channels-last=stats=%t.json %s -o /dev/null
// RUN: FileCheck %s --input-file %t.json
// An unwritable statistics file is an error.
// RUN: not %chlast-opt --conv-channels-last=stats=%t.missing-dir/stats.json %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNWRITABLE

// CHECK: {"function":"first","convs_found":1,"convs_converted":1,
// CHECK-SAME: "runtime_conversion_count":2,"runtime_conversion_bytes":2176,"constant_conversions_folded":1}
// CHECK-NEXT: {"function":"second","convs_found":1,"convs_converted":0,
// CHECK-SAME: "runtime_conversion_count":0,
// CHECK-NOT: function

// UNWRITABLE: error: conv-channels-last: cannot write statistics to '{{.*}}stats.json'
func.func @first(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
func.func @second(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
