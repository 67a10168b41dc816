// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// Depthwise conv: image and result go NHWC; the CHW filter is already in the
// order cuDNN wants for depthwise, so it stays plain (no encoding at all).

// COUNT-LABEL: func.func @depthwise_conv2d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @depthwise_conv2d(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<4x3x3xf32>{{$}}
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%[[XL]], %[[W]] : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<4x3x3xf32>) outs(%{{.+}} : tensor<1x4x6x6xf32, #chlast.layout<nhwc>>) -> tensor<1x4x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x4x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x4x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @depthwise_conv2d(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<4x3x3xf32>
  %e = tensor.empty() : tensor<1x4x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<4x3x3xf32>) outs(%o : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Depthwise between two regular convs (MobileNet-style block): one layout
// throughout.

// COUNT-LABEL: func.func @pointwise_depthwise_pointwise(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @pointwise_depthwise_pointwise(
// CHECK:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK:         %[[P:.+]] = tensor.pad %[[A]]
// CHECK:         %[[D:.+]] = linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%[[P]], %{{.+}} : tensor<1x8x10x10xf32, #chlast.layout<nhwc>>, tensor<8x3x3xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[D]],
func.func @pointwise_depthwise_pointwise(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %wd = arith.constant dense<0.25> : tensor<8x3x3xf32>
  %w1 = arith.constant dense<0.125> : tensor<4x8x1x1xf32>
  %e8 = tensor.empty() : tensor<1x8x8x8xf32>
  %e4 = tensor.empty() : tensor<1x4x8x8xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) outs(%e8 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %p = tensor.pad %a low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %cst : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %wd : tensor<1x8x10x10xf32>, tensor<8x3x3xf32>) outs(%e8 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%d, %w1 : tensor<1x8x8x8xf32>, tensor<4x8x1x1xf32>) outs(%e4 : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %b : tensor<1x4x8x8xf32>
}

// -----

// Grouped conv in its own NGCHW / GFCHW form: channels-last is N H W G C for
// the image and result and G F H W C for the filter.

// COUNT-LABEL: func.func @grouped_conv2d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @grouped_conv2d(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x2x2x8x8xf32> -> tensor<1x2x2x8x8xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<2x4x2x3x3xf32, #chlast.layout<[0, 1, 3, 4, 2]>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[XL]], %[[W]] : {{.*}}) outs(%{{.+}} : tensor<1x2x4x6x6xf32, #chlast.layout<[0, 3, 4, 1, 2]>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x2x4x6x6xf32, #chlast.layout<[0, 3, 4, 1, 2]>> -> tensor<1x2x4x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @grouped_conv2d(%x: tensor<1x2x2x8x8xf32>) -> tensor<1x2x4x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<2x4x2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x4x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  %0 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x2x2x8x8xf32>, tensor<2x4x2x3x3xf32>) outs(%o : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  return %0 : tensor<1x2x4x6x6xf32>
}

// -----

// torch-mlir's grouped conv: expand the NCHW image and the FCHW filter to
// groups, conv_2d_ngchw_gfchw, collapse back. The filter expand is folded
// into the constant (no runtime conversion of weights); the activations are
// converted once each way (the cut may place them on either side of the
// reshapes: same bytes).

// COUNT-LABEL: func.func @grouped_conv2d_torch_style(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @grouped_conv2d_torch_style(
// CHECK-NOT:     chlast.to_layout {{.*}}tensor<8x2x3x3xf32>
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x2x3x3xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout {{.*}}tensor<8x2x3x3xf32>
// CHECK:         %[[WG:.+]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 4, 2, 3, 3] : tensor<8x2x3x3xf32, #chlast.layout<nhwc>> into tensor<2x4x2x3x3xf32, #chlast.layout<[0, 1, 3, 4, 2]>>
// CHECK-NOT:     chlast.to_layout {{.*}}tensor<2x4x2x3x3xf32>
// CHECK:         linalg.conv_2d_ngchw_gfchw {{.*}} ins(%{{.+}}, %[[WG]] : tensor<1x2x2x8x8xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, tensor<2x4x2x3x3xf32, #chlast.layout<[0, 1, 3, 4, 2]>>)
func.func @grouped_conv2d_torch_style(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
  %xg = tensor.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8] : tensor<1x4x8x8xf32> into tensor<1x2x2x8x8xf32>
  %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 4, 2, 3, 3] : tensor<8x2x3x3xf32> into tensor<2x4x2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x4x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  %0 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%xg, %wg : tensor<1x2x2x8x8xf32>, tensor<2x4x2x3x3xf32>) outs(%o : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  %r = tensor.collapse_shape %0 [[0], [1, 2], [3], [4]] : tensor<1x2x4x6x6xf32> into tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}

// -----

// torch-mlir's grouped conv between two regular convs: no conversion around
// the expand / collapse.

// COUNT-LABEL: func.func @grouped_conv_between_convs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @grouped_conv_between_convs(
// CHECK:         %[[A:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[AG:.+]] = tensor.expand_shape %[[A]] {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8] : tensor<1x4x8x8xf32, #chlast.layout<nhwc>> into tensor<1x2x2x8x8xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
// CHECK:         %[[G:.+]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[AG]],
// CHECK-NEXT:    %[[GC:.+]] = tensor.collapse_shape %[[G]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x4x6x6xf32, #chlast.layout<[0, 3, 4, 1, 2]>> into tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[GC]],
func.func @grouped_conv_between_convs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w0 = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  %w = arith.constant dense<0.5> : tensor<8x2x3x3xf32>
  %w1 = arith.constant dense<0.5> : tensor<8x8x1x1xf32>
  %e4 = tensor.empty() : tensor<1x4x8x8xf32>
  %e8 = tensor.empty() : tensor<1x8x6x6xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) outs(%e4 : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %ag = tensor.expand_shape %a [[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8] : tensor<1x4x8x8xf32> into tensor<1x2x2x8x8xf32>
  %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 4, 2, 3, 3] : tensor<8x2x3x3xf32> into tensor<2x4x2x3x3xf32>
  %e = tensor.empty() : tensor<1x2x4x6x6xf32>
  %g = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%ag, %wg : tensor<1x2x2x8x8xf32>, tensor<2x4x2x3x3xf32>) outs(%e : tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x6x6xf32>
  %gc = tensor.collapse_shape %g [[0], [1, 2], [3], [4]] : tensor<1x2x4x6x6xf32> into tensor<1x8x6x6xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%gc, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x1x1xf32>) outs(%e8 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %b : tensor<1x8x6x6xf32>
}
