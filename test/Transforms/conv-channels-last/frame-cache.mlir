// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT
// RUN: %chlast-opt --split-input-file --conv-channels-last --chlast-materialize-layouts %s | FileCheck %s --check-prefix=PHYSICAL

// Per-frame causal decoding (diffusers' Wan VAE): one latent frame at a time,
// the frames cached from the previous step concatenated in front along time,
// a causal pad, slices of single frames. A dim of extent 1 does not decide a
// layout: a one-frame conv is NDHWC like any other, so a frame joins the
// cache without a conversion, and only the function's boundary converts.

// COUNT-LABEL: func.func @one_frame_joins_the_cache(
// COUNT-COUNT-4: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @one_frame_joins_the_cache(
// CHECK-NOT:     [0, 3, 4, 1, 2]
// CHECK:         %[[Y:.+]] = linalg.conv_3d_ncdhw_fcdhw {{.*}} -> tensor<1x8x1x8x8xf32, #chlast.layout<ndhwc>>
// CHECK:         %[[CAT:.+]] = tensor.concat dim(2) %{{.+}}, %[[Y]] : (tensor<1x8x2x8x8xf32, #chlast.layout<ndhwc>>, tensor<1x8x1x8x8xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x3x8x8xf32, #chlast.layout<ndhwc>>

// PHYSICAL-LABEL: func.func @one_frame_joins_the_cache(
// PHYSICAL:         tensor.concat dim(1) {{.*}} : (tensor<1x2x8x8x8xf32>, tensor<1x1x8x8x8xf32>) -> tensor<1x3x8x8x8xf32>
func.func @one_frame_joins_the_cache(%x: tensor<1x4x1x8x8xf32>, %prev: tensor<1x4x2x8x8xf32>) -> (tensor<1x8x1x8x8xf32>, tensor<1x8x2x8x8xf32>) {
  %w0 = arith.constant dense<0.25> : tensor<8x4x1x3x3xf32>
  %w1 = arith.constant dense<0.125> : tensor<8x8x3x3x3xf32>
  %wc = arith.constant dense<0.5> : tensor<8x4x1x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %ec = tensor.empty() : tensor<1x8x2x8x8xf32>
  %ic = linalg.fill ins(%zero : f32) outs(%ec : tensor<1x8x2x8x8xf32>) -> tensor<1x8x2x8x8xf32>
  %cache = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%prev, %wc : tensor<1x4x2x8x8xf32>, tensor<8x4x1x1x1xf32>) outs(%ic : tensor<1x8x2x8x8xf32>) -> tensor<1x8x2x8x8xf32>
  %xp = tensor.pad %x low[0, 0, 0, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x4x1x8x8xf32> to tensor<1x4x1x10x10xf32>
  %e0 = tensor.empty() : tensor<1x8x1x8x8xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %y = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%xp, %w0 : tensor<1x4x1x10x10xf32>, tensor<8x4x1x3x3xf32>) outs(%i0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %cat = tensor.concat dim(2) %cache, %y : (tensor<1x8x2x8x8xf32>, tensor<1x8x1x8x8xf32>) -> tensor<1x8x3x8x8xf32>
  %next = tensor.extract_slice %cat[0, 0, 1, 0, 0] [1, 8, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<1x8x3x8x8xf32> to tensor<1x8x2x8x8xf32>
  %p = tensor.pad %cat low[0, 0, 0, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x8x3x8x8xf32> to tensor<1x8x3x10x10xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %z = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p, %w1 : tensor<1x8x3x10x10xf32>, tensor<8x8x3x3x3xf32>) outs(%i1 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  return %z, %next : tensor<1x8x1x8x8xf32>, tensor<1x8x2x8x8xf32>
}

// -----

// A causal pad in time turns one frame into three: the pad's source and
// result are the same NDHWC order (materialized as a reshape, no transpose).

// COUNT-LABEL: func.func @causal_pad_of_one_frame(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @causal_pad_of_one_frame(
// CHECK-NOT:     [0, 3, 4, 1, 2]
// CHECK:         tensor.pad {{.*}} low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1]
// CHECK:         } : tensor<1x8x1x8x8xf32, #chlast.layout<ndhwc>> to tensor<1x8x3x10x10xf32, #chlast.layout<ndhwc>>

// PHYSICAL-LABEL: func.func @causal_pad_of_one_frame(
// PHYSICAL:         linalg.transpose
// PHYSICAL-NOT:     linalg.transpose
// PHYSICAL:         tensor.pad {{.*}} low[0, 2, 1, 1, 0] high[0, 0, 1, 1, 0]
// PHYSICAL:         } : tensor<1x1x8x8x8xf32> to tensor<1x3x10x10x8xf32>
// PHYSICAL-NOT:     linalg.transpose
// PHYSICAL:         linalg.transpose
// PHYSICAL-NOT:     linalg.transpose
// PHYSICAL:         return
func.func @causal_pad_of_one_frame(%x: tensor<1x4x1x8x8xf32>) -> tensor<1x8x1x8x8xf32> {
  %w0 = arith.constant dense<0.25> : tensor<8x4x1x1x1xf32>
  %w1 = arith.constant dense<0.125> : tensor<8x8x3x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x1x8x8xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %y = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w0 : tensor<1x4x1x8x8xf32>, tensor<8x4x1x1x1xf32>) outs(%i0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %p = tensor.pad %y low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x8x1x8x8xf32> to tensor<1x8x3x10x10xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %z = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p, %w1 : tensor<1x8x3x10x10xf32>, tensor<8x8x3x3x3xf32>) outs(%i1 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  return %z : tensor<1x8x1x8x8xf32>
}

// -----

// The last frame of a multi-frame conv, sliced out and convolved alone.

// COUNT-LABEL: func.func @last_frame_of_a_conv(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @last_frame_of_a_conv(
// CHECK-NOT:     [0, 3, 4, 1, 2]
// CHECK:         tensor.extract_slice {{.*}} : tensor<1x8x3x8x8xf32, #chlast.layout<ndhwc>> to tensor<1x8x1x8x8xf32, #chlast.layout<ndhwc>>

// PHYSICAL-LABEL: func.func @last_frame_of_a_conv(
// PHYSICAL:         tensor.extract_slice {{.*}}[0, 2, 0, 0, 0] [1, 1, 8, 8, 8] [1, 1, 1, 1, 1] : tensor<1x3x8x8x8xf32> to tensor<1x1x8x8x8xf32>
func.func @last_frame_of_a_conv(%x: tensor<1x4x3x8x8xf32>) -> tensor<1x8x1x8x8xf32> {
  %w0 = arith.constant dense<0.25> : tensor<8x4x1x1x1xf32>
  %w1 = arith.constant dense<0.125> : tensor<8x8x1x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x3x8x8xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x3x8x8xf32>) -> tensor<1x8x3x8x8xf32>
  %y = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w0 : tensor<1x4x3x8x8xf32>, tensor<8x4x1x1x1xf32>) outs(%i0 : tensor<1x8x3x8x8xf32>) -> tensor<1x8x3x8x8xf32>
  %f = tensor.extract_slice %y[0, 0, 2, 0, 0] [1, 8, 1, 8, 8] [1, 1, 1, 1, 1] : tensor<1x8x3x8x8xf32> to tensor<1x8x1x8x8xf32>
  %p = tensor.pad %f low[0, 0, 0, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %e: index):
    tensor.yield %zero : f32
  } : tensor<1x8x1x8x8xf32> to tensor<1x8x1x10x10xf32>
  %e1 = tensor.empty() : tensor<1x8x1x8x8xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  %z = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p, %w1 : tensor<1x8x1x10x10xf32>, tensor<8x8x1x3x3xf32>) outs(%i1 : tensor<1x8x1x8x8xf32>) -> tensor<1x8x1x8x8xf32>
  return %z : tensor<1x8x1x8x8xf32>
}
