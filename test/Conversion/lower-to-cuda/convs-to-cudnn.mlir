// RUN: %chlast-opt --split-input-file --verify-diagnostics --chlast-convs-to-cudnn %s | FileCheck %s

// A zero fill of the output is dropped (flags 0): NHWC tensors (channel
// stride 1), KRSC filter (format 1).
// CHECK: memref.global "private" constant @[[S:__chlast_cudnn_conv_spec.*]] : memref<43xi64> = dense<[1, 0, 2, 1, 0, 1, 1, 4, 10, 10, 0, 400, 1, 40, 4, 0, 8, 4, 3, 3, 0, 1, 8, 8, 8, 0, 512, 1, 64, 8, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]> {chlast.host_only}
// CHECK-LABEL: func.func @nhwc_zero_fill
// CHECK-NOT: linalg.fill
// CHECK: %[[G:.*]] = memref.get_global @[[S]]
// CHECK: %[[NONE:.*]] = arith.constant 0 : i64
// CHECK: memref.extract_aligned_pointer_as_index %[[G]]
// CHECK: call @chlast_cudnn_conv({{.*}}, %[[NONE]], %[[NONE]]) : (i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NOT: linalg.conv
// CHECK: func.func private @chlast_cudnn_conv(i64, i64, i64, i64, i64, i64)
func.func @nhwc_zero_fill(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%y : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  return
}

// -----

// The bias broadcast written into the output right before the conv is
// folded into the call: flags 1 and the bias pointer as last argument.
// CHECK: dense<[1, 0, 2, 1, 1, 1,
// CHECK-LABEL: func.func @nhwc_bias
// CHECK-NOT: linalg.generic
// CHECK: %[[B:.*]] = memref.extract_aligned_pointer_as_index %arg2 : memref<8xf32>
// CHECK: %[[BI:.*]] = arith.index_cast %[[B]]
// CHECK: call @chlast_cudnn_conv({{.*}}, %[[BI]], %{{.*}})
func.func @nhwc_bias(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %b: memref<8xf32>, %y: memref<1x8x8x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  return
}

// -----

// Any other initial value of the output is accumulated: flags 2 (beta = 1).
// CHECK: dense<[1, 0, 2, 1, 2, 1,
// CHECK-LABEL: func.func @accumulate
// CHECK: call @chlast_cudnn_conv
func.func @accumulate(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>) {
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  return
}

// -----

// Channels-first tensors and a KCRS filter (format 0), as imported.
// CHECK: dense<[1, 0, 2, 1, 2, 0, 1, 4, 10, 10, 0, 400, 100, 10, 1, 0, 8, 4, 3, 3, 0, 1, 8, 8, 8, 0, 512, 64, 8, 1, 0,
// CHECK-LABEL: func.func @nchw
// CHECK: call @chlast_cudnn_conv
func.func @nchw(%x: memref<1x4x10x10xf32>, %w: memref<8x4x3x3xf32>, %y: memref<1x8x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x4x10x10xf32>, memref<8x4x3x3xf32>) outs(%y : memref<1x8x8x8xf32>)
  return
}

// -----

// Strides and dilations: words 31..33 and 34..36.
// CHECK: dense<[1, 0, 2, 1, 2, 1, 1, 4, 11, 11, 0, 484, 1, 44, 4, 0, 8, 4, 3, 3, 0, 1, 8, 4, 4, 0, 128, 1, 32, 8, 0, 2, 2, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @strided_dilated
// CHECK: call @chlast_cudnn_conv
func.func @strided_dilated(%x: memref<1x11x11x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x4x4x8xf32>) {
  linalg.conv_2d_nhwc_fhwc {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : memref<1x11x11x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x4x4x8xf32>)
  return
}

// -----

// Groups (word 3) and channels merged with their group: C = 2 x 4,
// K = 2 x 3.
// CHECK: dense<[1, 0, 2, 2, 2, 0, 1, 8, 10, 10, 0, 800, 100, 10, 1, 0, 6, 4, 3, 3, 0, 1, 6, 8, 8, 0, 384, 64, 8, 1, 0,
// CHECK-LABEL: func.func @grouped
// CHECK: call @chlast_cudnn_conv
func.func @grouped(%x: memref<1x2x4x10x10xf32>, %w: memref<2x3x4x3x3xf32>, %y: memref<1x2x3x8x8xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x2x4x10x10xf32>, memref<2x3x4x3x3xf32>) outs(%y : memref<1x2x3x8x8xf32>)
  return
}

// -----

// Depthwise: groups = C, filter K x 1 x R x S.
// CHECK: dense<[1, 0, 2, 4, 2, 0, 1, 4, 10, 10, 0, 400, 100, 10, 1, 0, 4, 1, 3, 3, 0,
// CHECK-LABEL: func.func @depthwise_nchw
// CHECK: call @chlast_cudnn_conv
func.func @depthwise_nchw(%x: memref<1x4x10x10xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x4x10x10xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  return
}

// -----

// An HWC depthwise filter is neither KCRS nor KRSC: the conv stays a kernel.
// CHECK-LABEL: func.func @depthwise_hwc_filter
// CHECK-NOT: call @chlast_cudnn_conv
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
func.func @depthwise_hwc_filter(%x: memref<1x10x10x4xf32>, %w: memref<3x3x4xf32>, %y: memref<1x8x8x4xf32>) {
  // expected-remark @+1 {{convolution stays a GPU kernel: filter is neither packed KCRS nor KRSC}}
  linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<3x3x4xf32>) outs(%y : memref<1x8x8x4xf32>)
  return
}

// -----

// A 3-D conv as a generic (what materialization emits): NDHWC x FDHWC.
// CHECK: dense<[1, 0, 3, 1, 2, 1, 1, 2, 4, 6, 6, 288, 1, 72, 12, 2, 8, 2, 3, 3, 3, 1, 8, 2, 4, 4, 256, 1, 128, 32, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @conv3d_ndhwc_fdhwc
// CHECK: call @chlast_cudnn_conv
func.func @conv3d_ndhwc_fdhwc(%x: memref<1x4x6x6x2xf32>, %w: memref<8x3x3x3x2xf32>, %y: memref<1x2x4x4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, d, h, w, f, kd, kh, kw, c) -> (n, d + kd, h + kh, w + kw, c)>, affine_map<(n, d, h, w, f, kd, kh, kw, c) -> (f, kd, kh, kw, c)>, affine_map<(n, d, h, w, f, kd, kh, kw, c) -> (n, d, h, w, f)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<1x4x6x6x2xf32>, memref<8x3x3x3x2xf32>) outs(%y : memref<1x2x4x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A DHWCF filter has no cuDNN filter format.
// CHECK-LABEL: func.func @conv3d_dhwcf_filter
// CHECK-NOT: call @chlast_cudnn_conv
// CHECK: linalg.conv_3d_ndhwc_dhwcf
func.func @conv3d_dhwcf_filter(%x: memref<1x4x6x6x2xf32>, %w: memref<3x3x3x2x8xf32>, %y: memref<1x2x4x4x8xf32>) {
  // expected-remark @+1 {{convolution stays a GPU kernel: filter is neither packed KCRS nor KRSC}}
  linalg.conv_3d_ndhwc_dhwcf {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>} ins(%x, %w : memref<1x4x6x6x2xf32>, memref<3x3x3x2x8xf32>) outs(%y : memref<1x2x4x4x8xf32>)
  return
}

// -----

// f16 tensors: element type 1.
// CHECK: dense<[1, 1, 2, 1, 2, 1,
// CHECK-LABEL: func.func @f16
// CHECK: call @chlast_cudnn_conv
func.func @f16(%x: memref<1x10x10x4xf16>, %w: memref<8x3x3x4xf16>, %y: memref<1x8x8x8xf16>) {
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf16>, memref<8x3x3x4xf16>) outs(%y : memref<1x8x8x8xf16>)
  return
}

// -----

// Pooling is not a convolution for cuDNN: untouched, no remark.
// CHECK-LABEL: func.func @pooling
// CHECK-NOT: call
// CHECK: linalg.pooling_nhwc_sum
func.func @pooling(%x: memref<1x10x10x4xf32>, %k: memref<3x3xf32>, %y: memref<1x8x8x4xf32>) {
  linalg.pooling_nhwc_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %k : memref<1x10x10x4xf32>, memref<3x3xf32>) outs(%y : memref<1x8x8x4xf32>)
  return
}

// -----

// A symmetric zero padding (tensor.pad after bufferization: fresh buffer,
// zero fill, copy into its interior) becomes cuDNN's padding (words 40-42):
// x is the unpadded source and the fill, copy and buffer are gone. The
// source's dealloc moves after the call.
// CHECK: dense<[1, 0, 2, 1, 2, 1, 1, 4, 8, 8, 0, 256, 1, 32, 4, 0, 8, 4, 3, 3, 0, 1, 8, 8, 8, 0, 512, 1, 64, 8, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0]>
// CHECK-LABEL: func.func @symmetric_pad
// CHECK-NOT: linalg.map
// CHECK-NOT: memref.copy
// CHECK: %[[SRC:.*]] = memref.alloc() : memref<1x8x8x4xf32>
// CHECK: linalg.generic
// CHECK-NOT: memref.alloc() : memref<1x10x10x4xf32>
// CHECK: memref.extract_aligned_pointer_as_index %[[SRC]]
// CHECK: call @chlast_cudnn_conv
// CHECK-NEXT: memref.dealloc %[[SRC]]
func.func @symmetric_pad(%in: memref<1x8x8x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %src = memref.alloc() : memref<1x8x8x4xf32>
  linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%in : memref<1x8x8x4xf32>) outs(%src : memref<1x8x8x4xf32>) {
  ^bb0(%i: f32, %o: f32):
    %n = arith.negf %i : f32
    linalg.yield %n : f32
  }
  %padded = memref.alloc() : memref<1x10x10x4xf32>
  linalg.map outs(%padded : memref<1x10x10x4xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %padded[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1] : memref<1x10x10x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  memref.copy %src, %interior : memref<1x8x8x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  memref.dealloc %src : memref<1x8x8x4xf32>
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  memref.dealloc %padded : memref<1x10x10x4xf32>
  return
}

// -----

// A causal (low-only) pad cannot be cuDNN's: it stays, and the conv reads the
// padded buffer without cuDNN padding.
// CHECK: dense<[1, 0, 2, 1, 2, 1, 1, 4, 10, 9, 0, 360, 1, 36, 4, 0, 8, 4, 3, 3, 0, 1, 8, 8, 7, 0, 448, 1, 56, 8, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @causal_pad
// CHECK: linalg.map
// CHECK: memref.copy
// CHECK: call @chlast_cudnn_conv
func.func @causal_pad(%src: memref<1x8x8x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x7x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<1x10x9x4xf32>
  linalg.map outs(%padded : memref<1x10x9x4xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %padded[0, 2, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1] : memref<1x10x9x4xf32> to memref<1x8x8x4xf32, strided<[360, 36, 4, 1], offset: 76>>
  memref.copy %src, %interior : memref<1x8x8x4xf32> to memref<1x8x8x4xf32, strided<[360, 36, 4, 1], offset: 76>>
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : memref<1x10x9x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x7x8xf32>)
  memref.dealloc %padded : memref<1x10x9x4xf32>
  return
}

// -----

// The source is written between the copy and the conv: folding would read
// the new values, so the pad stays.
// CHECK: dense<[1, 0, 2, 1, 2, 1, 1, 4, 10, 10, 0, 400, 1, 40, 4, 0, 8, 4, 3, 3, 0, 1, 8, 8, 8, 0, 512, 1, 64, 8, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]>
// CHECK-LABEL: func.func @source_written_after_copy
// CHECK: memref.copy
// CHECK: linalg.fill
// CHECK: call @chlast_cudnn_conv
func.func @source_written_after_copy(%src: memref<1x8x8x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %padded = memref.alloc() : memref<1x10x10x4xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x10x10x4xf32>)
  %interior = memref.subview %padded[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1] : memref<1x10x10x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  memref.copy %src, %interior : memref<1x8x8x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  linalg.fill ins(%one : f32) outs(%src : memref<1x8x8x4xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  memref.dealloc %padded : memref<1x10x10x4xf32>
  return
}

// -----

// A ReLU right after the conv (torch-mlir's `arith.maximumf` with 0) runs in
// the same cuDNN call: flags 1 | 4 (bias, relu); the call writes the ReLU's
// output and the conv's own buffer goes away.
// CHECK: dense<[1, 0, 2, 1, 5, 1,
// CHECK-LABEL: func.func @bias_relu
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[O:.*]] = memref.extract_aligned_pointer_as_index %arg3
// CHECK-DAG: %[[OI:.*]] = arith.index_cast %[[O]]
// CHECK-DAG: %[[NONE:.*]] = arith.constant 0 : i64
// CHECK: call @chlast_cudnn_conv(%{{.*}}, %{{.*}}, %{{.*}}, %[[OI]], %{{.*}}, %[[NONE]])
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @bias_relu(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<1x8x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %y : memref<1x8x8x8xf32>
  return
}

// -----

// A residual add then ReLU (a ResNet block's tail), operands in either
// order and the zero inside the body: flags 1 | 4 | 8; the residual is the
// call's last argument. The output buffer, allocated after the conv, moves
// in front of the call.
// CHECK: dense<[1, 0, 2, 1, 13, 1,
// CHECK-LABEL: func.func @residual_relu
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x8x8x8xf32>
// CHECK-NOT: memref.alloc
// CHECK-DAG: %[[O:.*]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK-DAG: %[[OI:.*]] = arith.index_cast %[[O]]
// CHECK-DAG: %[[R:.*]] = memref.extract_aligned_pointer_as_index %arg3
// CHECK-DAG: %[[RI:.*]] = arith.index_cast %[[R]]
// CHECK: call @chlast_cudnn_conv(%{{.*}}, %{{.*}}, %{{.*}}, %[[OI]], %{{.*}}, %[[RI]])
// CHECK-NOT: linalg.generic
// CHECK: return %[[OUT]]
func.func @residual_relu(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %b: memref<8xf32>, %res: memref<1x8x8x8xf32>) -> memref<1x8x8x8xf32> {
  %y = memref.alloc() : memref<1x8x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  %out = memref.alloc() : memref<1x8x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%res, %y : memref<1x8x8x8xf32>, memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%r: f32, %c: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %s = arith.addf %c, %r : f32
    %m = arith.maximumf %zero, %s : f32
    linalg.yield %m : f32
  }
  memref.dealloc %y : memref<1x8x8x8xf32>
  return %out : memref<1x8x8x8xf32>
}

// -----

// A residual add alone (a VAE resnet block's tail): flags 1 | 8, no ReLU.
// The maps may permute the loops, as long as all operands share them.
// CHECK: dense<[1, 0, 2, 1, 9, 1,
// CHECK-LABEL: func.func @residual_add
// CHECK-NOT: linalg.generic
// CHECK: call @chlast_cudnn_conv
func.func @residual_add(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %b: memref<8xf32>, %res: memref<1x8x8x8xf32>, %out: memref<1x8x8x8xf32>) {
  %y = memref.alloc() : memref<1x8x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, h, w, c)>, affine_map<(n, c, h, w) -> (n, h, w, c)>, affine_map<(n, c, h, w) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %res : memref<1x8x8x8xf32>, memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %s = arith.addf %c, %r : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<1x8x8x8xf32>
  return
}

// -----

// A ReLU in place on the conv's output: flags 4 (zero fill dropped, relu),
// the output buffer stays.
// CHECK: dense<[1, 0, 2, 1, 4, 1,
// CHECK-LABEL: func.func @relu_in_place
// CHECK-NOT: linalg.
// CHECK: call @chlast_cudnn_conv
func.func @relu_in_place(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x8x8x8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not folded: the conv's result is read again later (the pre-activation
// value is needed), so the ReLU stays a kernel (flags 1).
// CHECK: dense<[1, 0, 2, 1, 1, 1,
// CHECK-LABEL: func.func @result_read_twice
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.maximumf
// CHECK: memref.copy
func.func @result_read_twice(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %b: memref<8xf32>, %out: memref<1x8x8x8xf32>, %pre: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<1x8x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<8xf32>) outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %y, %pre : memref<1x8x8x8xf32> to memref<1x8x8x8xf32>
  memref.dealloc %y : memref<1x8x8x8xf32>
  return
}

// -----

// Not folded: a leaky ReLU's slope, a clamp at 0.5 and SiLU are not cuDNN
// epilogues; a ReLU writing into the conv's input buffer would overwrite x
// while cuDNN reads it; an already accumulating conv (flags 2) keeps its
// ReLU kernel.
// CHECK-LABEL: func.func @not_epilogues
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.maximumf
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.negf
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.maximumf
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.maximumf
func.func @not_epilogues(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %out: memref<1x8x8x8xf32>, %xs: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %y0 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%y0 : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y0 : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y0 : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %half : f32
    linalg.yield %r : f32
  }
  memref.dealloc %y0 : memref<1x8x8x8xf32>
  %y1 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%y1 : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y1 : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y1 : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %in, %d : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y1 : memref<1x8x8x8xf32>
  %y2 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%y2 : memref<1x8x8x8xf32>)
  %xo = memref.reinterpret_cast %x to offset: [0], sizes: [1, 8, 8, 8], strides: [512, 64, 8, 1] : memref<1x10x10x4xf32> to memref<1x8x8x8xf32>
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y2 : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y2 : memref<1x8x8x8xf32>) outs(%xo : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %y2 : memref<1x8x8x8xf32>
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%xs : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%xs : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Bufferization reuses one buffer for several values: the conv's buffer
// %y is written again later (a full overwrite before any read), so the
// conv's value is dead after the ReLU and the ReLU folds (flags 4); %y
// stays for its later use. When the next access reads %y instead, the ReLU
// stays a kernel (flags 0).
// CHECK-DAG: dense<[1, 0, 2, 1, 4, 1,
// CHECK-DAG: dense<[1, 0, 2, 1, 0, 1,
// CHECK-LABEL: func.func @reused_buffer
// CHECK: %[[Y:.*]] = memref.alloc()
// CHECK: call @chlast_cudnn_conv
// CHECK-NOT: arith.maximumf
// CHECK: linalg.fill {{.*}} outs(%[[Y]]
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.maximumf
// CHECK: memref.copy %[[Y]]
func.func @reused_buffer(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %out: memref<1x8x8x8xf32>, %keep: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %y = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%one : f32) outs(%y : memref<1x8x8x8xf32>)
  memref.copy %y, %keep : memref<1x8x8x8xf32> to memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %y, %keep : memref<1x8x8x8xf32> to memref<1x8x8x8xf32>
  memref.dealloc %y : memref<1x8x8x8xf32>
  return
}

// -----

// The shared fixture's residual add: once the zero padding is folded, the
// conv reads %src directly, and bufferization had the add write into %src
// (its last use as the pad's source). cuDNN cannot write the buffer it
// reads, so the add stays a kernel (flags 1, padding folded).
// CHECK: dense<[1, 0, 2, 1, 1, 1, {{.*}}, 1, 1, 0]>
// CHECK-LABEL: func.func @output_is_the_padded_source
// CHECK: call @chlast_cudnn_conv
// CHECK: arith.addf
func.func @output_is_the_padded_source(%src: memref<1x8x8x4xf32>, %w: memref<4x3x3x4xf32>, %b: memref<4xf32>, %res: memref<1x8x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<1x10x10x4xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x10x10x4xf32>)
  %interior = memref.subview %padded[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1] : memref<1x10x10x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  memref.copy %src, %interior : memref<1x8x8x4xf32> to memref<1x8x8x4xf32, strided<[400, 40, 4, 1], offset: 44>>
  %y = memref.alloc() : memref<1x8x8x4xf32>
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<4xf32>) outs(%y : memref<1x8x8x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : memref<1x10x10x4xf32>, memref<4x3x3x4xf32>) outs(%y : memref<1x8x8x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%res, %y : memref<1x8x8x4xf32>, memref<1x8x8x4xf32>) outs(%src : memref<1x8x8x4xf32>) {
  ^bb0(%r: f32, %c: f32, %o: f32):
    %s = arith.addf %r, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<1x8x8x4xf32>
  memref.dealloc %padded : memref<1x10x10x4xf32>
  return
}

// -----

// A generalized zero fill (what linalg-generalize-named-ops makes of
// linalg.fill in the CUDA pipeline) is dropped too: flags 0. A non-zero one
// is kept and accumulated into (flags 2).
// CHECK-DAG: dense<[1, 0, 2, 1, 0, 1,
// CHECK-DAG: dense<[1, 0, 2, 1, 2, 1,
// CHECK-LABEL: func.func @generalized_fills
// CHECK-NOT: linalg.generic
// CHECK: call @chlast_cudnn_conv
// CHECK: linalg.generic
// CHECK: call @chlast_cudnn_conv
func.func @generalized_fills(%x: memref<1x10x10x4xf32>, %w: memref<8x3x3x4xf32>, %y: memref<1x8x8x8xf32>, %y2: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%y : memref<1x8x8x8xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%y2 : memref<1x8x8x8xf32>) {
  ^bb0(%o: f32):
    linalg.yield %one : f32
  }
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y2 : memref<1x8x8x8xf32>)
  return
}

// -----

// A filter read from a constant global (imported weights), through a view:
// flags 16 (constant filter: the runtime keeps its reordered copy without
// checking it again). A filter in a mutable global gets no such flag.
// CHECK-DAG: dense<[1, 0, 2, 1, 16, 1,
// CHECK-DAG: dense<[1, 0, 2, 1, 0, 1,
// CHECK-LABEL: func.func @constant_filter
// CHECK-COUNT-2: call @chlast_cudnn_conv
memref.global "private" constant @weights : memref<8x3x3x4xf32> = dense<0.5>
memref.global "private" @mutable_weights : memref<8x3x3x4xf32> = dense<0.5>
func.func @constant_filter(%x: memref<1x10x10x4xf32>, %y: memref<1x8x8x8xf32>, %y2: memref<1x8x8x8xf32>) {
  %g = memref.get_global @weights : memref<8x3x3x4xf32>
  %w = memref.subview %g[0, 0, 0, 0] [8, 3, 3, 4] [1, 1, 1, 1] : memref<8x3x3x4xf32> to memref<8x3x3x4xf32, strided<[36, 12, 4, 1]>>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%y : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x10x10x4xf32>, memref<8x3x3x4xf32, strided<[36, 12, 4, 1]>>) outs(%y : memref<1x8x8x8xf32>)
  %m = memref.get_global @mutable_weights : memref<8x3x3x4xf32>
  linalg.fill ins(%z : f32) outs(%y2 : memref<1x8x8x8xf32>)
  linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %m : memref<1x10x10x4xf32>, memref<8x3x3x4xf32>) outs(%y2 : memref<1x8x8x8xf32>)
  return
}
