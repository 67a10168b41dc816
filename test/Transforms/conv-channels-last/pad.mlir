// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// Constant padding is layout-transparent: the conversion is hoisted above the
// pad (onto the smaller, unpadded tensor) and the pad result carries the
// encoding.

// COUNT-LABEL: func.func @symmetric_pad(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @symmetric_pad(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[P:.+]] = tensor.pad %[[XL]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         } : tensor<1x4x8x8xf32, #chlast.layout<nhwc>> to tensor<1x4x10x10xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]], %{{.+}} : tensor<1x4x10x10xf32, #chlast.layout<nhwc>>,
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x8x8xf32, #chlast.layout<nhwc>> -> tensor<1x8x8x8xf32>
// CHECK-NEXT:    return %[[R]]
func.func @symmetric_pad(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// Causal padding of the height (low side only).

// COUNT-LABEL: func.func @causal_pad_height(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @causal_pad_height(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[P:.+]] = tensor.pad %[[XL]] low[0, 0, 2, 1] high[0, 0, 0, 1]
// CHECK:         } : tensor<1x4x8x8xf32, #chlast.layout<nhwc>> to tensor<1x4x10x10xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]]
// CHECK-NEXT:    return %[[R]]
func.func @causal_pad_height(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, 2, 1] high[0, 0, 0, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// Causal video conv: time padded on the low side only, H/W symmetric.

// COUNT-LABEL: func.func @causal_pad_time_conv3d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @causal_pad_time_conv3d(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x3x6x6xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x3x6x6xf32> -> tensor<1x4x3x6x6xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[P:.+]] = tensor.pad %[[XL]] low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1]
// CHECK:         } : tensor<1x4x3x6x6xf32, #chlast.layout<ndhwc>> to tensor<1x4x5x8x8xf32, #chlast.layout<ndhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {{.*}} ins(%[[P]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x3x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x3x6x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @causal_pad_time_conv3d(%x: tensor<1x4x3x6x6xf32>) -> tensor<1x8x3x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %p = tensor.pad %x low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %f: index):
    tensor.yield %cst : f32
  } : tensor<1x4x3x6x6xf32> to tensor<1x4x5x8x8xf32>
  %e = tensor.empty() : tensor<1x8x3x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x3x6x6xf32>) -> tensor<1x8x3x6x6xf32>
  %0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p, %w : tensor<1x4x5x8x8xf32>, tensor<8x4x3x3x3xf32>) outs(%o : tensor<1x8x3x6x6xf32>) -> tensor<1x8x3x6x6xf32>
  return %0 : tensor<1x8x3x6x6xf32>
}

// -----

// The padding value does not matter for the layout.

// COUNT-LABEL: func.func @pad_with_nonzero_value(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @pad_with_nonzero_value(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout
// CHECK-NOT:     chlast.to_layout
// CHECK:         tensor.pad %[[XL]]
// CHECK:         } : tensor<1x4x8x8xf32, #chlast.layout<nhwc>> to tensor<1x4x10x10xf32, #chlast.layout<nhwc>>
func.func @pad_with_nonzero_value(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %one : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// A pad with SSA (dynamic) amounts is left alone: the conversion goes between
// the pad and the conv.

// COUNT-LABEL: func.func @pad_with_dynamic_amounts_is_not_crossed(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @pad_with_dynamic_amounts_is_not_crossed(
// CHECK:         %[[P:.+]] = tensor.pad %arg0 low[0, 0, %arg1, 1] high[0, 0, 1, 1]
// CHECK:         } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
// CHECK-NEXT:    %[[PL:.+]] = chlast.to_layout %[[P]] : tensor<1x4x10x10xf32> -> tensor<1x4x10x10xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%[[PL]],
func.func @pad_with_dynamic_amounts_is_not_crossed(%x: tensor<1x4x8x8xf32>, %lo: index) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, %lo, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}
