// RUN: %chlast-opt --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// Regression test, fixed in the pass (was a bug): linalg pooling ops (linalg.pooling_nchw_max, pooling_nchw_sum,
// ...) implement ConvolutionOpInterface, so mlirLinalgIsAConvolutionOp() is
// true for them. The pass then treats a pooling op as a conv it cannot
// convert: it is counted in convs_found, reported with the misleading remark
// "linalg.pooling_nchw_max left in its original layout: no spatial or channel
// dims recognised in its indexing maps", and, being opaque, it blocks the
// layout between the two convs of a conv -> maxpool -> conv block (ResNet
// stem), which costs two avoidable runtime conversions.
//
// Observed: 4 runtime conversions (input, conv0 result -> NCHW before the
// pool, pool result -> NHWC after it, conv1 result); stats say
// convs_found 3, convs_skipped [pooling_nchw_max].
// Expected: pooling is a per-channel window op, transparent to the layout
// like a depthwise conv: it runs on NHWC (window tensor plain); 2 runtime
// conversions; convs_found 2.

// CHECK-LABEL: func.func @conv_maxpool_conv(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[P:.+]] = linalg.pooling_nchw_max {{.*}} ins(%[[C0]], %{{.+}} : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>, tensor<2x2xf32>) outs(%{{.+}} : tensor<1x8x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]]
// CHECK-NEXT:    return %[[R]]

// STATS: {"function":"conv_maxpool_conv","convs_found":2,"convs_converted":2,"convs_skipped":[],
// STATS-SAME: "runtime_conversion_count":2,
func.func @conv_maxpool_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x3x3xf32> {
  %cst = arith.constant 0.0 : f32
  %ninf = arith.constant -3.40282347E+38 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x1x1xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty() : tensor<1x8x3x3xf32>
  %op = linalg.fill ins(%ninf : f32) outs(%ep : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%c0, %win : tensor<1x8x6x6xf32>, tensor<2x2xf32>) outs(%op : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %e1 = tensor.empty() : tensor<1x8x3x3xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%pool, %w1 : tensor<1x8x3x3xf32>, tensor<8x8x1x1xf32>) outs(%e1 : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c1 : tensor<1x8x3x3xf32>
}
