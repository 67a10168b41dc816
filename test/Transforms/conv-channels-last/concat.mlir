// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// Skip connections as tensor.concat on the channel dim: the concat computes
// in NHWC from NHWC conv outputs and feeds the next conv directly.

// COUNT-LABEL: func.func @concat_of_two_convs_feeds_conv(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @concat_of_two_convs_feeds_conv(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[B:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]], {{.*}} -> tensor<1x4x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[CAT:.+]] = tensor.concat dim(1) %[[A]], %[[B]] : (tensor<1x8x6x6xf32, #chlast.layout<nhwc>>, tensor<1x4x6x6xf32, #chlast.layout<nhwc>>) -> tensor<1x12x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[CAT]], %{{.+}} : tensor<1x12x6x6xf32, #chlast.layout<nhwc>>, tensor<8x12x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]
func.func @concat_of_two_convs_feeds_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<4x4x3x3xf32>
  %w2 = arith.constant dense<0.125> : tensor<8x12x3x3xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %o0 = linalg.fill ins(%cst : f32) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x4x6x6xf32>
  %o1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w1 : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) outs(%o1 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %cat = tensor.concat dim(1) %a, %b : (tensor<1x8x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x12x6x6xf32>
  %e2 = tensor.empty() : tensor<1x8x4x4xf32>
  %o2 = linalg.fill ins(%cst : f32) outs(%e2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%cat, %w2 : tensor<1x12x6x6xf32>, tensor<8x12x3x3xf32>) outs(%o2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// -----

// A skip tensor coming from the function arguments is converted once at
// entry, like the network input.

// COUNT-LABEL: func.func @concat_with_function_argument(
// COUNT-COUNT-3: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @concat_with_function_argument(
// CHECK-DAG:     %[[SL:.+]] = chlast.to_layout %arg1 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xf32, #chlast.layout<nhwc>>
// CHECK-DAG:     %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]],
// CHECK-NEXT:    %[[CAT:.+]] = tensor.concat dim(1) %[[A]], %[[SL]] : (tensor<1x8x6x6xf32, #chlast.layout<nhwc>>, tensor<1x4x6x6xf32, #chlast.layout<nhwc>>) -> tensor<1x12x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[CAT]],
func.func @concat_with_function_argument(%x: tensor<1x4x8x8xf32>, %skip: tensor<1x4x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w2 = arith.constant dense<0.125> : tensor<8x12x3x3xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %o0 = linalg.fill ins(%cst : f32) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %cat = tensor.concat dim(1) %a, %skip : (tensor<1x8x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x12x6x6xf32>
  %e2 = tensor.empty() : tensor<1x8x4x4xf32>
  %o2 = linalg.fill ins(%cst : f32) outs(%e2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%cat, %w2 : tensor<1x12x6x6xf32>, tensor<8x12x3x3xf32>) outs(%o2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// -----

// Concat along a spatial dim (e.g. temporal chunks) is just as transparent.

// COUNT-LABEL: func.func @concat_on_spatial_dim(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @concat_on_spatial_dim(
// CHECK:         tensor.concat dim(2) {{.*}} -> tensor<1x8x12x6xf32, #chlast.layout<nhwc>>
func.func @concat_on_spatial_dim(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x10x4xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x4x3x3xf32>
  %w2 = arith.constant dense<0.125> : tensor<8x8x3x3xf32>
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w1 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %cat = tensor.concat dim(2) %a, %b : (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) -> tensor<1x8x12x6xf32>
  %e2 = tensor.empty() : tensor<1x8x10x4xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%cat, %w2 : tensor<1x8x12x6xf32>, tensor<8x8x3x3xf32>) outs(%e2 : tensor<1x8x10x4xf32>) -> tensor<1x8x10x4xf32>
  return %c : tensor<1x8x10x4xf32>
}
