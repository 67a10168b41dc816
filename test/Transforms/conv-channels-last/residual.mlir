// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// Residual add of two conv outputs: the add computes in NHWC, the shared
// input is converted once for both convs, the sum is converted back once.

// COUNT-LABEL: func.func @residual_add_of_two_convs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @residual_add_of_two_convs(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], %{{.+}} :
// CHECK-NEXT:    %[[B:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], %{{.+}} :
// CHECK-NEXT:    %[[ADD:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>, tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) outs(%{{.+}} : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK:           arith.addf
// CHECK:         } -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[ADD]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    return %[[R]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @residual_add_of_two_convs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w1 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0, %c1 : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  return %add : tensor<1x8x6x6xf32>
}

// -----

// A ResBlock whose output feeds another conv: the skip (block input) and the
// conv branch are both NHWC, the add and everything after stay NHWC.

// COUNT-LABEL: func.func @resblock_skip_add_feeds_conv(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @resblock_skip_add_feeds_conv(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x8x6x6xf32> -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[ADD:.+]] = linalg.generic {{.*}} ins(%[[XL]], %[[C1]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>, tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C2:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[ADD]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C2]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @resblock_skip_add_feeds_conv(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %w2 = arith.constant dense<0.125> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p0, %w0 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p1 = tensor.pad %c0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p1, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %c1 : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  %e2 = tensor.empty() : tensor<1x8x4x4xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%add, %w2 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%e2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c2 : tensor<1x8x4x4xf32>
}

// -----

// The last ResBlock of a network (skip add result returned): two conversions
// of the same size either way, and no more.

// COUNT-LABEL: func.func @resblock_skip_add_returned(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @resblock_skip_add_returned(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x8x6x6xf32> -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         tensor.pad %[[XL]]
// CHECK:         } : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> to tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @resblock_skip_add_returned(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p0, %w0 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p1 = tensor.pad %c0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p1, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %c1 : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  return %add : tensor<1x8x6x6xf32>
}

// -----

// A conv result with two consumers that both need NCHW (an opaque op and the
// function result): it is converted once and both read the same conversion.

// COUNT-LABEL: func.func @multi_use_value_converted_once(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @multi_use_value_converted_once(
// CHECK:         %[[C:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    %[[CP:.+]] = chlast.to_layout %[[C]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[T:.+]] = tensor.collapse_shape %[[CP]] {{\[\[}}0, 1], [2], [3]] : tensor<1x8x6x6xf32> into tensor<8x6x6xf32>
// CHECK-NOT:     chlast.to_layout
// CHECK:         return %[[T]], %[[CP]]
func.func private @consume(tensor<8x6x6xf32>)
func.func @multi_use_value_converted_once(%x: tensor<1x4x8x8xf32>) -> (tensor<8x6x6xf32>, tensor<1x8x6x6xf32>) {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %r = tensor.collapse_shape %c0 [[0, 1], [2], [3]] : tensor<1x8x6x6xf32> into tensor<8x6x6xf32>
  return %r, %c0 : tensor<8x6x6xf32>, tensor<1x8x6x6xf32>
}

// -----

// One value (the function input) feeding two convs and a channels-last
// elementwise op: converted once for all three.

// COUNT-LABEL: func.func @input_shared_by_convs_and_elementwise(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @input_shared_by_convs_and_elementwise(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]],
// CHECK:         %[[SQ:.+]] = linalg.generic {{.*}} ins(%[[XL]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]],
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[SQ]],
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @input_shared_by_convs_and_elementwise(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %e6 = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x6x6xf32>) outs(%e6 : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%c0 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%sq, %w0 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%c1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c2 : tensor<1x8x4x4xf32>
}
