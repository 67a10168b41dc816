// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// A single NCDHW conv with a constant filter: image converted once at entry to
// NDHWC, filter constant re-typed to FDHWC (printed `ndhwc`, the same
// permutation), result converted back before return.

// COUNT-LABEL: func.func @conv3d_tensor_attrs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv3d_tensor_attrs(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x4x8x8xf32>) -> tensor<1x8x2x6x6xf32>
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x4x8x8xf32> -> tensor<1x4x4x8x8xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x3x3x3xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[INIT:.+]] = linalg.fill {{.*}} -> tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
// CHECK-SAME:        ins(%[[XL]], %[[W]] : tensor<1x4x4x8x8xf32, #chlast.layout<ndhwc>>, tensor<8x4x3x3x3xf32, #chlast.layout<ndhwc>>)
// CHECK-SAME:        outs(%[[INIT]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x6x6xf32>
// CHECK-NEXT:    return %[[R]] : tensor<1x8x2x6x6xf32>
func.func @conv3d_tensor_attrs(%x: tensor<1x4x4x8x8xf32>) -> tensor<1x8x2x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x2x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
         ins(%x, %w : tensor<1x4x4x8x8xf32>, tensor<8x4x3x3x3xf32>) outs(%o : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  return %0 : tensor<1x8x2x6x6xf32>
}

// -----

// COUNT-LABEL: func.func @conv3d_vector_attrs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv3d_vector_attrs(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %{{.+}} : tensor<1x4x4x8x8xf32> -> tensor<1x4x4x8x8xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
// CHECK-SAME:        ins(%[[XL]], %{{.+}} : tensor<1x4x4x8x8xf32, #chlast.layout<ndhwc>>, tensor<8x4x3x3x3xf32, #chlast.layout<ndhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv3d_vector_attrs(%x: tensor<1x4x4x8x8xf32>) -> tensor<1x8x2x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x2x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w : tensor<1x4x4x8x8xf32>, tensor<8x4x3x3x3xf32>) outs(%o : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  return %0 : tensor<1x8x2x6x6xf32>
}

// -----

// Strided in H/W only (temporal stride 1) and dilated in W only.

// COUNT-LABEL: func.func @conv3d_strided_dilated(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv3d_strided_dilated(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<1x4x5x9x9xf32> -> tensor<1x4x5x9x9xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<[1, 1, 2]> : vector<3xi64>, strides = dense<[1, 2, 2]> : vector<3xi64>}
// CHECK-SAME:        -> tensor<1x8x3x4x3xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x3x4x3xf32, #chlast.layout<ndhwc>> -> tensor<1x8x3x4x3xf32>
// CHECK-NEXT:    return %[[R]]
func.func @conv3d_strided_dilated(%x: tensor<1x4x5x9x9xf32>) -> tensor<1x8x3x4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x4x3xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x3x4x3xf32>) -> tensor<1x8x3x4x3xf32>
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<[1, 1, 2]> : vector<3xi64>, strides = dense<[1, 2, 2]> : vector<3xi64>}
         ins(%x, %w : tensor<1x4x5x9x9xf32>, tensor<8x4x3x3x3xf32>) outs(%o : tensor<1x8x3x4x3xf32>) -> tensor<1x8x3x4x3xf32>
  return %0 : tensor<1x8x3x4x3xf32>
}

// -----

// A 1x3x3 kernel (no temporal extent): the filter is FDHWC like any other,
// printed `ndhwc` (a unit dim sits where channels-last puts it).

// COUNT-LABEL: func.func @conv3d_1x3x3_kernel(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv3d_1x3x3_kernel(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<1x4x2x8x8xf32> -> tensor<1x4x2x8x8xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         arith.constant dense<5.000000e-01> : tensor<8x4x1x3x3xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x6x6xf32>
func.func @conv3d_1x3x3_kernel(%x: tensor<1x4x2x8x8xf32>) -> tensor<1x8x2x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x1x3x3xf32>
  %e = tensor.empty() : tensor<1x8x2x6x6xf32>
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w : tensor<1x4x2x8x8xf32>, tensor<8x4x1x3x3xf32>) outs(%e : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  return %0 : tensor<1x8x2x6x6xf32>
}
