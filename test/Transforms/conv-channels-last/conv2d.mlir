// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// A single NCHW conv with a constant filter: the image is converted once at
// function entry, the filter constant is re-typed (folded at compile time, no
// runtime conversion), and the result is converted back right before return.

// COUNT-LABEL: func.func @conv2d_tensor_attrs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_tensor_attrs(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[INIT:.+]] = linalg.fill {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[Y:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[XL]], %[[W]] : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-SAME:        outs(%[[INIT]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    return %[[R]] : tensor<1x8x6x6xf32>
func.func @conv2d_tensor_attrs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// torch-mlir spells strides and dilations as vectors.

// COUNT-LABEL: func.func @conv2d_vector_attrs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_vector_attrs(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
// CHECK-SAME:        ins(%[[XL]], %[[W]] :
// CHECK-SAME:        -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv2d_vector_attrs(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// COUNT-LABEL: func.func @conv2d_strided(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_strided(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x9x9xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x9x9xf32> -> tensor<1x4x9x9xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK-SAME:        ins(%[[XL]], %{{.+}} : tensor<1x4x9x9xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-SAME:        -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv2d_strided(%x: tensor<1x4x9x9xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// COUNT-LABEL: func.func @conv2d_dilated(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_dilated(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:        ins(%[[XL]], %{{.+}} : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-SAME:        -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv2d_dilated(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Different strides and dilations per spatial dim, non-square image.

// COUNT-LABEL: func.func @conv2d_strided_dilated_non_square(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_strided_dilated_non_square(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<1x4x11x12xf32> -> tensor<1x4x11x12xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<[2, 1]> : vector<2xi64>, strides = dense<3> : vector<2xi64>}
// CHECK-SAME:        -> tensor<1x8x3x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x3x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x3x4xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv2d_strided_dilated_non_square(%x: tensor<1x4x11x12xf32>) -> tensor<1x8x3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x3x4xf32>) -> tensor<1x8x3x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<[2, 1]> : vector<2xi64>, strides = dense<[3, 3]> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x11x12xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x3x4xf32>) -> tensor<1x8x3x4xf32>
  return %0 : tensor<1x8x3x4xf32>
}

// -----

// Batch > 1 and bf16 (the element type of the motivating VAE).

// COUNT-LABEL: func.func @conv2d_batched_bf16(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_batched_bf16(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<2x4x8x8xbf16> -> tensor<2x4x8x8xbf16, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         arith.constant dense<5.000000e-01> : tensor<8x4x3x3xbf16, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-SAME:        -> tensor<2x8x6x6xbf16, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<2x8x6x6xbf16, #chlast.layout<nhwc>> -> tensor<2x8x6x6xbf16>
// CHECK-NEXT:    return %[[R]]
func.func @conv2d_batched_bf16(%x: tensor<2x4x8x8xbf16>) -> tensor<2x8x6x6xbf16> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xbf16>
  %cst = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<2x8x6x6xbf16>
  %o = linalg.fill ins(%cst : bf16) outs(%e : tensor<2x8x6x6xbf16>) -> tensor<2x8x6x6xbf16>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<2x4x8x8xbf16>, tensor<8x4x3x3xbf16>) outs(%o : tensor<2x8x6x6xbf16>) -> tensor<2x8x6x6xbf16>
  return %0 : tensor<2x8x6x6xbf16>
}

// -----

// A non-splat filter keeps its logical values: only the type gains the
// encoding (the physical transpose happens at materialization).

// COUNT-LABEL: func.func @conv2d_non_splat_filter(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_non_splat_filter(
// CHECK:         %[[W:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00], [2.000000e+00]], {{\[\[}}3.000000e+00], [4.000000e+00]]], {{\[\[\[}}5.000000e+00], [6.000000e+00]], {{\[\[}}7.000000e+00], [8.000000e+00]]]]> : tensor<2x2x2x1xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout %[[W]]
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.+}}, %[[W]] :
func.func @conv2d_non_splat_filter(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x3x4xf32> {
  %w = arith.constant dense<[[[[1.0], [2.0]], [[3.0], [4.0]]], [[[5.0], [6.0]], [[7.0], [8.0]]]]> : tensor<2x2x2x1xf32>
  %e = tensor.empty() : tensor<1x2x3x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x2x1xf32>) outs(%e : tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %0 : tensor<1x2x3x4xf32>
}

// -----

// A 1x1 filter is stored the same way in FCHW and FHWC: it needs no encoding.

// COUNT-LABEL: func.func @conv2d_1x1_filter_stays_plain(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv2d_1x1_filter_stays_plain(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x1x1xf32>
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-SAME:        tensor<8x4x1x1xf32>)
// CHECK-SAME:        -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
func.func @conv2d_1x1_filter_stays_plain(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x1x1xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}
