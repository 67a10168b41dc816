// RUN: %chlast-opt --split-input-file --conv-channels-last=cost-model=false %s | FileCheck %s --check-prefix=FORCED
// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s --check-prefix=COST

// A filter passed as a function argument cannot be folded: it is converted
// once at entry, like the image.
//
// With cost-model=false the conv is converted anyway: three conversions
// (filter and image at entry, result before return).
//
// With the default cost model, converting a lone conv moves the filter bytes
// in addition to what it saves (image and result): it is left alone, with a
// remark.

// FORCED-LABEL: func.func @filter_argument(
// FORCED-SAME:      %[[X:[^:]+]]: tensor<1x4x8x8xf32>, %[[W:[^:]+]]: tensor<8x4x3x3xf32>)
// FORCED-DAG:     %[[WL:.+]] = chlast.to_layout %[[W]] : tensor<8x4x3x3xf32> -> tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// FORCED-DAG:     %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// FORCED-NOT:     chlast.to_layout
// FORCED:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], %[[WL]] : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// FORCED-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// FORCED-NEXT:    return %[[R]]

// COST-LABEL: func.func @filter_argument(
// COST-NOT:     chlast.to_layout
// COST-NOT:     #chlast.layout
// COST:         linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %arg1 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%{{.+}} : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
// COST-NOT:     chlast.to_layout
// COST:         return
func.func @filter_argument(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: converting it would move more bytes in layout conversions at its boundaries than it saves}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// A filter argument shared by two chained convs: worth converting even under
// the cost model, and converted once for both convs.

// FORCED-LABEL: func.func @filter_argument_shared_by_two_convs(
// FORCED-COUNT-1: chlast.to_layout %arg1
// FORCED-NOT:     chlast.to_layout %arg1

// COST-LABEL: func.func @filter_argument_shared_by_two_convs(
// COST-SAME:      %[[X:[^:]+]]: tensor<1x8x8x8xf32>, %[[W:[^:]+]]: tensor<8x8x3x3xf32>)
// COST-DAG:     %[[WL:.+]] = chlast.to_layout %[[W]] : tensor<8x8x3x3xf32> -> tensor<8x8x3x3xf32, #chlast.layout<nhwc>>
// COST-DAG:     %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// COST-NOT:     chlast.to_layout
// COST:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], %[[WL]] :
// COST-NEXT:    %[[B:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[A]], %[[WL]] :
// COST-NEXT:    %[[R:.+]] = chlast.to_layout %[[B]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// COST-NEXT:    return %[[R]]
func.func @filter_argument_shared_by_two_convs(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %o1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%0, %w : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%o1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %1 : tensor<1x8x4x4xf32>
}

// -----

// A filter argument in a conv chain long enough to pay for it (two convs with
// argument filters between a pad and a SiLU): each filter converted once at
// entry, nothing converted in the middle.

// FORCED-LABEL: func.func @two_filter_arguments_in_a_chain(
// FORCED-COUNT-4: chlast.to_layout
// FORCED-NOT:     chlast.to_layout

// COST-LABEL: func.func @two_filter_arguments_in_a_chain(
// COST-SAME:      %[[X:[^:]+]]: tensor<1x8x16x16xf32>, %[[W0:[^:]+]]: tensor<8x8x3x3xf32>, %[[W1:[^:]+]]: tensor<8x8x3x3xf32>)
// COST-DAG:     chlast.to_layout %[[W1]] : tensor<8x8x3x3xf32> -> tensor<8x8x3x3xf32, #chlast.layout<nhwc>>
// COST-DAG:     chlast.to_layout %[[W0]] : tensor<8x8x3x3xf32> -> tensor<8x8x3x3xf32, #chlast.layout<nhwc>>
// COST-DAG:     chlast.to_layout %[[X]] : tensor<1x8x16x16xf32> -> tensor<1x8x16x16xf32, #chlast.layout<nhwc>>
// COST-NOT:     chlast.to_layout
// COST:         linalg.conv_2d_nchw_fchw
// COST-NOT:     chlast.to_layout
// COST:         linalg.conv_2d_nchw_fchw
// COST-NEXT:    chlast.to_layout
// COST-NEXT:    return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @two_filter_arguments_in_a_chain(%x: tensor<1x8x16x16xf32>, %w0: tensor<8x8x3x3xf32>, %w1: tensor<8x8x3x3xf32>) -> tensor<1x8x14x14xf32> {
  %cst = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x14x14xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>) outs(%e0 : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x14x14xf32>) outs(%e0 : tensor<1x8x14x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x14x14xf32>
  %p = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x14x14xf32> to tensor<1x8x16x16xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>) outs(%e0 : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  return %c1 : tensor<1x8x14x14xf32>
}
