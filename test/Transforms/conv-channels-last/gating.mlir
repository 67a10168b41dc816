// Default: dynamic convs and convs that are already channels-last are left
// alone with a remark; static NCHW convs are converted.
// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s

// enable=false leaves the IR exactly as it was (and reports nothing).
// RUN: %chlast-opt --split-input-file %s -o %t.before
// RUN: %chlast-opt --split-input-file --conv-channels-last=enable=false %s -o %t.disabled
// RUN: diff %t.before %t.disabled
// RUN: %chlast-opt --split-input-file "--conv-channels-last=enable=false stats=-" %s 2>&1 >/dev/null | FileCheck %s --check-prefix=DISABLED --allow-empty

// Density rule: a function with max-ops-per-conv ops or more per conv is left
// unchanged, with a remark on each conv.
// RUN: %chlast-opt --split-input-file --conv-channels-last=max-ops-per-conv=2 %s -o %t.dense
// RUN: diff %t.before %t.dense
// RUN: %chlast-opt --split-input-file --conv-channels-last=max-ops-per-conv=2 %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=DENSE
// RUN: %chlast-opt --split-input-file --conv-channels-last=max-ops-per-conv=6 %s | FileCheck %s --check-prefix=AT-LIMIT
// RUN: %chlast-opt --split-input-file --conv-channels-last=max-ops-per-conv=7 %s | FileCheck %s --check-prefix=BELOW-LIMIT
// RUN: %chlast-opt --split-input-file --conv-channels-last=max-ops-per-conv=0 %s | FileCheck %s --check-prefix=BELOW-LIMIT

// DISABLED-NOT: "function"

// CHECK-LABEL: func.func @dynamic_batch_is_skipped(
// CHECK-NOT:     chlast
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %{{.+}} : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%arg1 : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
// CHECK-NOT:     chlast
// CHECK:         return
func.func @dynamic_batch_is_skipped(%x: tensor<?x4x8x8xf32>, %o: tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: dynamic shapes (channels-last conversion needs static shapes)}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

// Dynamic spatial dims: same.

// CHECK-LABEL: func.func @dynamic_spatial_is_skipped(
// CHECK-NOT:     chlast
// CHECK:         return
func.func @dynamic_spatial_is_skipped(%x: tensor<1x4x?x?xf32>, %o: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  // expected-remark @+1 {{left in its original layout: dynamic shapes}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x?x?xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %0 : tensor<1x8x?x?xf32>
}

// -----

// A conv that is already channels-last is untouched.

// CHECK-LABEL: func.func @already_nhwc_hwcf_untouched(
// CHECK-NOT:     chlast
// CHECK:         linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.+}} : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
// CHECK-NOT:     chlast
// CHECK:         return
func.func @already_nhwc_hwcf_untouched(%x: tensor<1x8x8x4xf32>) -> tensor<1x6x6x8xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<3x3x4x8xf32>
  %e = tensor.empty() : tensor<1x6x6x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nhwc_hwcf left in its original layout: already channels-last}}
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%o : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  return %0 : tensor<1x6x6x8xf32>
}

// -----

// CHECK-LABEL: func.func @already_nhwc_fhwc_untouched(
// CHECK-NOT:     chlast
// CHECK:         return
func.func @already_nhwc_fhwc_untouched(%x: tensor<1x8x8x4xf32>) -> tensor<1x6x6x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x3x3x4xf32>
  %e = tensor.empty() : tensor<1x6x6x8xf32>
  // expected-remark @+1 {{left in its original layout: already channels-last}}
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x8x8x4xf32>, tensor<8x3x3x4xf32>) outs(%e : tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xf32>
  return %0 : tensor<1x6x6x8xf32>
}

// -----

// A static conv in a function of 6 ops (constants, empty, fill, conv,
// return): converted by default and whenever max-ops-per-conv > 6 or 0;
// left alone when max-ops-per-conv <= 6.

// CHECK-LABEL: func.func @density_six_ops_one_conv(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>

// DENSE: remark: conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: function has 6 ops for 1 convs, at least max-ops-per-conv=2 per conv

// AT-LIMIT-LABEL: func.func @density_six_ops_one_conv(
// AT-LIMIT-NOT:     chlast
// AT-LIMIT:         return

// BELOW-LIMIT-LABEL: func.func @density_six_ops_one_conv(
// BELOW-LIMIT-NEXT:    chlast.to_layout %arg0
// BELOW-LIMIT:         linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
func.func @density_six_ops_one_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// The rule counts ops per conv: 11 ops for 2 convs is 5.5 per conv, so
// max-ops-per-conv=6 keeps converting, max-ops-per-conv=2 does not.

// CHECK-LABEL: func.func @density_two_convs(
// CHECK-NEXT:    chlast.to_layout %arg0

// DENSE: remark: conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: function has 11 ops for 2 convs, at least max-ops-per-conv=2 per conv
// DENSE: remark: conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: function has 11 ops for 2 convs, at least max-ops-per-conv=2 per conv

// AT-LIMIT-LABEL: func.func @density_two_convs(
// AT-LIMIT-NEXT:    chlast.to_layout %arg0

// BELOW-LIMIT-LABEL: func.func @density_two_convs(
// BELOW-LIMIT-NEXT:    chlast.to_layout %arg0
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @density_two_convs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %o0 = linalg.fill ins(%cst : f32) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x6x6xf32>) outs(%e0 : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %o1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%s, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%o1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1 : tensor<1x8x4x4xf32>
}
