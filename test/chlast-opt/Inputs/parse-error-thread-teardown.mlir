

// A filter argument in a conv chain long enough to pay for it (two convs with
// argument filters between a pad and a SiLU): each filter converted once at
// entry, nothing converted in the middle.

    %n = arith.negf %in : f32
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
  %p = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  %e0 = tensor.empty() : tensor<1x8x14x14xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>) outs(%e0 : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x14x14xf32>) outs(%e0 : tensor<1x8x14x14xf32>) {
  ^bb0(%in: f32, %out: f32):
// FORCED-LABEL: func.func @two_filter_arguments_in_a_chain(
    linalg.yield %n : f32
  } -> tensor<1x8x14x14xf32>
  %cst = arith.constant 0.0 : f32
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x14x14xf32> to tensor<1x8x16x16x