// RUN: %chlast-opt --split-input-file "--conv-channels-last=cost-model=false" %s | FileCheck %s
// RUN: %chlast-opt --split-input-file "--conv-channels-last=cost-model=false" --chlast-materialize-layouts %s -o /dev/null

// A pad whose value depends on the position (it reads its block arguments)
// cannot be re-expressed in another layout: it stays in the original one,
// with conversions around it, and the result still materializes.

// CHECK-LABEL: func.func @pad_value_from_position(
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[YP:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK:         tensor.pad %[[YP]]
// CHECK:         } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
// CHECK-NEXT:    chlast.to_layout
func.func @pad_value_from_position(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%i0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p = tensor.pad %y low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%n: index, %c: index, %h: index, %w: index):
    %i = arith.index_cast %h : index to i32
    %f = arith.sitofp %i : i32 to f32
    tensor.yield %f : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %z = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%i0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %z : tensor<1x8x6x6xf32>
}
