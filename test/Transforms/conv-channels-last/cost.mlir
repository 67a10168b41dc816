// RUN: %chlast-opt --split-input-file --verify-diagnostics --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last=cost-model=false %s | FileCheck %s --check-prefix=FORCED
// RUN: %chlast-opt --split-input-file --conv-channels-last=strategy=per-conv %s | FileCheck %s --check-prefix=PER-CONV
// RUN: %chlast-opt --split-input-file --conv-channels-last=strategy=min-cut %s -o %t.explicit
// RUN: %chlast-opt --split-input-file --conv-channels-last %s -o %t.default
// RUN: diff %t.default %t.explicit

// The cost rule: a lone conv between layout-opaque ops (calls) whose filter
// is a function argument would pay image + filter + result conversions to
// save only the image and result conversions cuDNN does itself: it stays.

// CHECK-LABEL: func.func @lone_conv_argument_filter_between_opaque_ops(
// CHECK-NOT:     chlast
// CHECK:         return

// FORCED-LABEL: func.func @lone_conv_argument_filter_between_opaque_ops(
// FORCED:         %[[IN:.+]] = call @producer
// FORCED:         chlast.to_layout %[[IN]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// FORCED:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw
// FORCED-NEXT:    %[[YP:.+]] = chlast.to_layout %[[Y]]
// FORCED:         call @consumer(%[[YP]])

// PER-CONV-LABEL: func.func @lone_conv_argument_filter_between_opaque_ops(
// PER-CONV-COUNT-3: chlast.to_layout
// PER-CONV-NOT:     chlast.to_layout
func.func private @producer() -> tensor<1x4x8x8xf32>
func.func private @consumer(tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
func.func @lone_conv_argument_filter_between_opaque_ops(%w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %x = call @producer() : () -> tensor<1x4x8x8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  // expected-remark @+1 {{conv-channels-last: linalg.conv_2d_nchw_fchw left in its original layout: converting it would move more bytes in layout conversions at its boundaries than it saves}}
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %r = call @consumer(%0) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}

// -----

// With a constant filter (folded at compile time) the same lone conv is
// converted: cuDNN would convert image and result anyway, so doing it
// explicitly costs nothing extra (and ties favour channels-last).

// FORCED-LABEL: func.func @lone_conv_constant_filter_between_opaque_ops(
// FORCED-COUNT-2: chlast.to_layout
// FORCED-NOT:     chlast.to_layout

// PER-CONV-LABEL: func.func @lone_conv_constant_filter_between_opaque_ops(
// PER-CONV-COUNT-2: chlast.to_layout
// PER-CONV-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @lone_conv_constant_filter_between_opaque_ops(
// CHECK:         %[[IN:.+]] = call @producer
// CHECK-NEXT:    %[[INL:.+]] = chlast.to_layout %[[IN]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[INL]],
// CHECK-NEXT:    %[[YP:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    call @consumer(%[[YP]])
func.func private @producer() -> tensor<1x4x8x8xf32>
func.func private @consumer(tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
func.func @lone_conv_constant_filter_between_opaque_ops() -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  // expected-remark @+1 {{conv-channels-last: layout conversion of 1024 bytes here: chlast cannot compute this op in a permuted layout}}
  %x = call @producer() : () -> tensor<1x4x8x8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  // expected-remark @+1 {{conv-channels-last: layout conversion of 1152 bytes here: chlast cannot compute this op in a permuted layout}}
  %r = call @consumer(%0) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}

// -----

// strategy=per-conv emulates the seed: every conv converts its own input and
// converts its result back, so a conv -> SiLU -> pad -> conv chain pays four
// runtime conversions where min-cut pays two.

// CHECK-LABEL: func.func @chain_min_cut_vs_per_conv(
// CHECK-COUNT-2: chlast.to_layout
// CHECK-NOT:     chlast.to_layout

// FORCED-LABEL: func.func @chain_min_cut_vs_per_conv(
// FORCED-COUNT-2: chlast.to_layout
// FORCED-NOT:     chlast.to_layout

// PER-CONV-LABEL: func.func @chain_min_cut_vs_per_conv(
// PER-CONV-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// PER-CONV:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[XL]],
// PER-CONV-NEXT:    %[[C0P:.+]] = chlast.to_layout %[[C0]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// PER-CONV-NEXT:    %[[S:.+]] = linalg.generic {{.*}} ins(%[[C0P]] : tensor<1x8x6x6xf32>) outs(%{{.+}} : tensor<1x8x6x6xf32>)
// PER-CONV:         %[[P:.+]] = tensor.pad %[[S]]
// PER-CONV:         } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
// PER-CONV-NEXT:    %[[PL:.+]] = chlast.to_layout %[[P]] : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// PER-CONV-NEXT:    %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[PL]],
// PER-CONV-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// PER-CONV-NEXT:    return %[[R]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @chain_min_cut_vs_per_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
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
    %ex = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %ex, %one : f32
    %r = arith.divf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x8x6x6xf32>
  %p = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c1 : tensor<1x8x6x6xf32>
}
