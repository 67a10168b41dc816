// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// torch-mlir puts the bias into the conv's `outs` with a linalg.broadcast of
// the 1-D bias into a tensor.empty: the empty is created directly in NHWC
// (free), the broadcast computes in NHWC, the 1-D bias stays plain.

// COUNT-LABEL: func.func @bias_broadcast_into_outs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @bias_broadcast_into_outs(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[B:.+]] = arith.constant dense<[1.000000e-01, {{.*}}]> : tensor<8xf32>
// CHECK-NEXT:    %[[E:.+]] = tensor.empty() : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[BB:.+]] = linalg.broadcast ins(%[[B]] : tensor<8xf32>) outs(%[[E]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) dimensions = [0, 2, 3]
// CHECK-NEXT:    %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], %{{.+}} : {{.*}}) outs(%[[BB]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @bias_broadcast_into_outs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) dimensions = [0, 2, 3]
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%bb : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// The same bias written as a linalg.generic with map (d0, d1, d2, d3) -> (d1).

// COUNT-LABEL: func.func @bias_generic_into_outs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @bias_generic_into_outs(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[B:.+]] = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-NEXT:    %[[E:.+]] = tensor.empty() : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[BB:.+]] = linalg.generic {{.*}} ins(%[[B]] : tensor<8xf32>) outs(%[[E]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK:         } -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} outs(%[[BB]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]]
// CHECK-NEXT:    return %[[R]]
#bmap = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @bias_generic_into_outs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %bb = linalg.generic {indexing_maps = [#bmap, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%bb : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// A bias passed as a function argument is 1-D: it needs no conversion either.

// COUNT-LABEL: func.func @bias_argument_conv3d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @bias_argument_conv3d(
// CHECK-SAME:      %[[X:[^:]+]]: tensor<1x4x4x8x8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x4x8x8xf32> -> tensor<1x4x4x8x8xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[BB:.+]] = linalg.broadcast ins(%[[B]] : tensor<8xf32>) outs(%[[E]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>) dimensions = [0, 2, 3, 4]
// CHECK-NEXT:    %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {{.*}} outs(%[[BB]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @bias_argument_conv3d(%x: tensor<1x4x4x8x8xf32>, %b: tensor<8xf32>) -> tensor<1x8x2x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %e = tensor.empty() : tensor<1x8x2x6x6xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x2x6x6xf32>) dimensions = [0, 2, 3, 4]
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w : tensor<1x4x4x8x8xf32>, tensor<8x4x3x3x3xf32>) outs(%bb : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  return %0 : tensor<1x8x2x6x6xf32>
}

// -----

// One tensor.empty shared by the bias broadcasts of two convs and by an op
// that stays in NCHW (torch-mlir reuses empties): each user gets an empty in
// its own layout, none is converted at run time.

// COUNT-LABEL: func.func @shared_empty_in_two_layouts(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @shared_empty_in_two_layouts(
// CHECK-NEXT:    chlast.to_layout %arg0 : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK-DAG:     %[[EP:.+]] = tensor.empty() : tensor<1x8x6x6xf32>{{$}}
// CHECK-DAG:     %[[EL:.+]] = tensor.empty() : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.broadcast {{.*}} outs(%[[EL]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[R:.+]] = chlast.to_layout %{{.+}} : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[N:.+]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x8x6x6xf32>) outs(%[[EP]] : tensor<1x8x6x6xf32>)
// CHECK-NOT:     chlast.to_layout
// CHECK:         return %[[R]], %[[N]]
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @shared_empty_in_two_layouts(%x: tensor<1x8x8x8xf32>, %y: tensor<1x8x6x6xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x6x6xf32>) {
  %w0 = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.1> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %bb0 = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) dimensions = [0, 2, 3]
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%bb0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %bb1 = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e1 : tensor<1x8x4x4xf32>) dimensions = [0, 2, 3]
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%c0, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%bb1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %neg = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x6x6xf32>
  return %c1, %neg : tensor<1x8x4x4xf32>, tensor<1x8x6x6xf32>
}
