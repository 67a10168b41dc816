// RUN: %chlast-opt --split-input-file --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s
// RUN: %chlast-opt --split-input-file "--conv-channels-last=stats=- strategy=per-conv" %s 2>&1 >/dev/null | FileCheck %s --check-prefix=PER-CONV

// One JSON object per function on stderr. A single conv: one runtime
// conversion each way (their destination types and bytes listed, each with
// where it sits, the op that needs the other layout and why), the filter
// constant folded.

// CHECK: {"function":"single_conv","convs_found":1,"convs_converted":1,"convs_skipped":[],"runtime_conversions":[{"type":"tensor<1x4x8x8xf32, #chlast.layout<nhwc>>","bytes":1024,"site":"input","op":"linalg.conv_2d_nchw_fchw","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"function arguments arrive in their original layout"},{"type":"tensor<1x8x6x6xf32>","bytes":1152,"site":"output","op":"func.return","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"the function returns its original layout"}],"runtime_conversion_count":2,"runtime_conversion_bytes":2176,"constant_conversions_folded":1}
func.func @single_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// Bytes follow the element type (bf16: 2 bytes per element).

// CHECK: {"function":"single_conv_bf16","convs_found":1,"convs_converted":1,"convs_skipped":[],"runtime_conversions":[{"type":"tensor<2x4x8x8xbf16, #chlast.layout<nhwc>>","bytes":1024,"site":"input","op":"linalg.conv_2d_nchw_fchw","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"function arguments arrive in their original layout"},{"type":"tensor<2x8x6x6xbf16>","bytes":1152,"site":"output","op":"func.return","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"the function returns its original layout"}],"runtime_conversion_count":2,"runtime_conversion_bytes":2176,"constant_conversions_folded":1}
func.func @single_conv_bf16(%x: tensor<2x4x8x8xbf16>) -> tensor<2x8x6x6xbf16> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xbf16>
  %e = tensor.empty() : tensor<2x8x6x6xbf16>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<2x4x8x8xbf16>, tensor<8x4x3x3xbf16>) outs(%e : tensor<2x8x6x6xbf16>) -> tensor<2x8x6x6xbf16>
  return %0 : tensor<2x8x6x6xbf16>
}

// -----

// conv -> elementwise -> pad -> conv with constant filters: 2 convs, 2
// runtime conversions, 2 folded filter constants. The seed's per-conv
// strategy pays 4 (input and result of each conv).

// CHECK: {"function":"chain","convs_found":2,"convs_converted":2,"convs_skipped":[],"runtime_conversions":[{"type":"tensor<1x4x8x8xf32, #chlast.layout<nhwc>>","bytes":1024,"site":"input","op":"linalg.conv_2d_nchw_fchw","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"function arguments arrive in their original layout"},{"type":"tensor<1x8x6x6xf32>","bytes":1152,"site":"output","op":"func.return","loc":"loc(\"{{.*}}stats.mlir\":{{[0-9]+}}:{{[0-9]+}})","reason":"the function returns its original layout"}],"runtime_conversion_count":2,"runtime_conversion_bytes":2176,"constant_conversions_folded":2}
// PER-CONV: {"function":"chain","convs_found":2,"convs_converted":2,"convs_skipped":[],"runtime_conversions":[{{.*}}],"runtime_conversion_count":4,"runtime_conversion_bytes":5376,"constant_conversions_folded":2}
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @chain(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x6x6xf32>
  %p = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c1 : tensor<1x8x6x6xf32>
}

// -----

// A conversion between convs names the op that forced it (here a call,
// which chlast cannot lay out), where it is, and why; so does a remark.

// CHECK: {"function":"interior","convs_found":2,"convs_converted":2,"convs_skipped":[],"runtime_conversions":[{{.*}}{"type":"tensor<1x8x6x6xf32>","bytes":1152,"site":"interior","op":"func.call","loc":"loc(\"{{.*}}stats.mlir\":[[@LINE+11]]:8)","reason":"chlast cannot compute this op in a permuted layout"},{"type":"tensor<1x8x6x6xf32, #chlast.layout<nhwc>>","bytes":1152,"site":"interior","op":"func.call","loc":"loc(\"{{.*}}stats.mlir\":[[@LINE+11]]:8)","reason":"chlast cannot compute this op in a permuted layout"}{{.*}}],"runtime_conversion_count":4,
// CHECK-SAME: "constant_conversions_folded":2}
func.func private @opaque(tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
func.func @interior(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %cst = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %o = call @opaque(%c0) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%o, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1 : tensor<1x8x4x4xf32>
}

// -----

// Skipped convs are listed with their location and the reason.

// CHECK: {"function":"dynamic_conv","convs_found":1,"convs_converted":0,"convs_skipped":[{"conv":"loc(\"{{.*}}stats.mlir\":[[@LINE+3]]:8)","code":"dynamic-shape","reason":"dynamic shapes (channels-last conversion needs static shapes)"}],"runtime_conversions":[],"runtime_conversion_count":0,"runtime_conversion_bytes":0,"constant_conversions_folded":0}
func.func @dynamic_conv(%x: tensor<?x4x8x8xf32>, %o: tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

// CHECK: {"function":"cost_skipped","convs_found":1,"convs_converted":0,"convs_skipped":[{"conv":"loc(\"{{.*}}stats.mlir\":[[@LINE+3]]:8)","code":"cost-model","reason":"converting it would move more bytes in layout conversions at its boundaries than it saves"}],"runtime_conversions":[],"runtime_conversion_count":0,"runtime_conversion_bytes":0,"constant_conversions_folded":0}
func.func @cost_skipped(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// Functions without convs are reported too; declarations are not.

// CHECK: {"function":"no_convs","convs_found":0,"convs_converted":0,"convs_skipped":[],"runtime_conversions":[],"runtime_conversion_count":0,"runtime_conversion_bytes":0,"constant_conversions_folded":0}
// CHECK-NOT: "function":"declaration"
func.func private @declaration(tensor<4xf32>) -> tensor<4xf32>
func.func @no_convs(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Several functions in one module: one line each, in order.

// CHECK: {"function":"first",
// CHECK-SAME: "runtime_conversion_count":2,
// CHECK-NEXT: {"function":"second",
// CHECK-SAME: "runtime_conversion_count":2,
func.func @first(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
func.func @second(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
