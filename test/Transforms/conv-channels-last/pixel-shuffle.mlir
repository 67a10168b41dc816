// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last --chlast-materialize-layouts %s | FileCheck %s --check-prefix=PHYSICAL

// A pixel shuffle (channels to space: reshape, transpose, reshape) between
// two convs, as LTX-Video's upsamplers and unpatchify layers import. The
// transpose copies all its data anyway, so it reads the first conv's NHWC
// output as it is (through its indexing map) and writes the order the second
// conv wants: no conversion between the convs, only at the boundary.

// CHECK-LABEL: func.func @pixel_shuffle_between_convs(
// CHECK:         chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         linalg.transpose ins(%{{.+}} : tensor<1x4x2x2x4x4xf32, #chlast.layout<[0, 4, 5, 1, 2, 3]>>) outs(%{{.+}} : tensor<1x4x4x2x4x2xf32, #chlast.layout<[0, 2, 3, 4, 5, 1]>>)
// CHECK-NOT:     chlast.to_layout
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    chlast.to_layout
// CHECK-NOT:     chlast.to_layout

// PHYSICAL-LABEL: func.func @pixel_shuffle_between_convs(
// PHYSICAL-COUNT-2: linalg.transpose
// PHYSICAL-NOT:     linalg.transpose
func.func @pixel_shuffle_between_convs(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32> {
  %w0 = arith.constant dense<0.25> : tensor<16x4x3x3xf32>
  %w1 = arith.constant dense<0.125> : tensor<8x4x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x16x4x4xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x6x6xf32>, tensor<16x4x3x3xf32>) outs(%i0 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %s = tensor.expand_shape %y [[0], [1, 2, 3], [4], [5]] output_shape [1, 4, 2, 2, 4, 4] : tensor<1x16x4x4xf32> into tensor<1x4x2x2x4x4xf32>
  %et = tensor.empty() : tensor<1x4x4x2x4x2xf32>
  %t = linalg.transpose ins(%s : tensor<1x4x2x2x4x4xf32>) outs(%et : tensor<1x4x4x2x4x2xf32>) permutation = [0, 1, 4, 2, 5, 3]
  %u = tensor.collapse_shape %t [[0], [1], [2, 3], [4, 5]] : tensor<1x4x4x2x4x2xf32> into tensor<1x4x8x8xf32>
  %e1 = tensor.empty() : tensor<1x8x6x6xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %z = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%u, %w1 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%i1 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %z : tensor<1x8x6x6xf32>
}
