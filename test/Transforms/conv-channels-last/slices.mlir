// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s

// Static extract_slice / insert_slice keep the layout of their operands.

// CHECK-LABEL: func.func @extract_slice_between_convs(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    %[[S:.+]] = tensor.extract_slice %[[C0]][0, 0, 1, 1] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> to tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[S]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x2x2xf32, #chlast.layout<nhwc>> -> tensor<1x8x2x2xf32>
// CHECK-NEXT:    return %[[R]]
func.func @extract_slice_between_convs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x2x2xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %s = tensor.extract_slice %c0[0, 0, 1, 1] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x8x6x6xf32> to tensor<1x8x4x4xf32>
  %e1 = tensor.empty() : tensor<1x8x2x2xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%s, %w1 : tensor<1x8x4x4xf32>, tensor<8x8x3x3xf32>) outs(%e1 : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  return %c1 : tensor<1x8x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @insert_slice_between_convs(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[I:.+]] = tensor.insert_slice %[[C0]] into %{{.+}}[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> into tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[I]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]]
// CHECK-NEXT:    return %[[R]]
func.func @insert_slice_between_convs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %z = tensor.empty() : tensor<1x8x8x8xf32>
  %zf = linalg.fill ins(%cst : f32) outs(%z : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %ins = tensor.insert_slice %c0 into %zf[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : tensor<1x8x6x6xf32> into tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%ins, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c1 : tensor<1x8x6x6xf32>
}

// -----

// A rank-reducing slice changes the rank: it is not followed, and the
// conversion goes before it.

// CHECK-LABEL: func.func @rank_reducing_slice_is_not_crossed(
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    %[[P:.+]] = chlast.to_layout %[[C0]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    tensor.extract_slice %[[P]]{{.*}} : tensor<1x8x6x6xf32> to tensor<8x6x6xf32>
func.func @rank_reducing_slice_is_not_crossed(%x: tensor<1x4x8x8xf32>) -> tensor<8x6x6xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %s = tensor.extract_slice %c0[0, 0, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1] : tensor<1x8x6x6xf32> to tensor<8x6x6xf32>
  return %s : tensor<8x6x6xf32>
}
