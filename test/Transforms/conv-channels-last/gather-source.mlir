// RUN: %chlast-opt --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// Regression test, fixed in the pass (was a bug) (avoidable conversion): a gather (tensor.extract inside a
// linalg.generic) whose source index is not a function of a single loop gets
// no indexing map for its source, and the pass then requires the source in
// the original layout. tensor.extract addresses its source in logical
// coordinates, so it can read a source in any layout (materialization only
// permutes the extract's indices): the conversion of the conv result back to
// NCHW before the gather is avoidable.
//
// Observed: 3 runtime conversions (input -> nhwc, conv0 result -> nchw before
// the gather, conv1 result -> nchw at return), 1600 bytes.
// Expected: 2 (input at entry, result before return), 1088 bytes; the
// extract reads the NHWC conv result directly.

// CHECK-LABEL: func.func @gather_mixing_loops_reads_any_layout(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         tensor.extract %[[C0]][{{.*}}] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]]
// CHECK-NEXT:    return %[[R]]

// STATS: "runtime_conversion_count":2,"runtime_conversion_bytes":1088
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @gather_mixing_loops_reads_any_layout(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x1x1xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %conv0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %eg = tensor.empty() : tensor<1x8x4x4xf32>
  %g = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%eg : tensor<1x8x4x4xf32>) {
  ^bb0(%out: f32):
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %i3 = linalg.index 3 : index
    %s = arith.addi %i2, %i3 : index
    %h = arith.minui %s, %c3 : index
    %v = tensor.extract %conv0[%c0, %i1, %h, %i3] : tensor<1x8x4x4xf32>
    linalg.yield %v : f32
  } -> tensor<1x8x4x4xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %conv1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%g, %w1 : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %conv1 : tensor<1x8x4x4xf32>
}
