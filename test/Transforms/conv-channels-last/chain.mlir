// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// conv -> SiLU (elementwise linalg.generic) -> pad -> conv: the whole chain
// stays channels-last; the only conversions are the input at entry and the
// result before return.

// COUNT-LABEL: func.func @conv_silu_pad_conv(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv_silu_pad_conv(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[S:.+]] = linalg.generic {{.*}} ins(%[[C0]] : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>) outs(%{{.+}} : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>)
// CHECK:           math.exp
// CHECK:         } -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[P:.+]] = tensor.pad %[[S]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         } : tensor<1x8x8x8xf32, #chlast.layout<nhwc>> to tensor<1x8x10x10xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]], %{{.+}} : tensor<1x8x10x10xf32, #chlast.layout<nhwc>>, tensor<8x8x3x3xf32, #chlast.layout<nhwc>>)
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x8x8xf32, #chlast.layout<nhwc>> -> tensor<1x8x8x8xf32>
// CHECK-NEXT:    return %[[R]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_silu_pad_conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %p0 = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p0, %w0 : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x8x8xf32>) outs(%e : tensor<1x8x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %sg = arith.divf %in, %d : f32
    linalg.yield %sg : f32
  } -> tensor<1x8x8x8xf32>
  %p1 = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p1, %w1 : tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %c1 : tensor<1x8x8x8xf32>
}

// -----

// torch-mlir's SiLU is two generics (sigmoid, then x * sigmoid(x)); video
// convs with a causal time pad. Exactly two conversions in the function.

// COUNT-LABEL: func.func @conv3d_torch_silu_causal_pad_conv3d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @conv3d_torch_silu_causal_pad_conv3d(
// CHECK-NEXT:    chlast.to_layout %{{.+}} : tensor<1x4x2x6x6xf32> -> tensor<1x4x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK:         %[[C0:.+]] = linalg.conv_3d_ncdhw_fcdhw
// CHECK:         %[[SIG:.+]] = linalg.generic {{.*}} ins(%[[C0]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>)
// CHECK:         } -> tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK:         %[[SILU:.+]] = linalg.generic {{.*}} ins(%[[C0]], %[[SIG]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>, tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>)
// CHECK:         } -> tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>>
// CHECK:         tensor.pad %[[SILU]] low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1]
// CHECK:         } : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> to tensor<1x8x4x8x8xf32, #chlast.layout<ndhwc>>
// CHECK:         %[[C1:.+]] = linalg.conv_3d_ncdhw_fcdhw
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x2x6x6xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x6x6xf32>
// CHECK-NEXT:    return %[[R]]
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
func.func @conv3d_torch_silu_causal_pad_conv3d(%x: tensor<1x4x2x6x6xf32>) -> tensor<1x8x2x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x1x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3x3xf32>
  %p0 = tensor.pad %x low[0, 0, 0, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %f: index):
    tensor.yield %cst : f32
  } : tensor<1x4x2x6x6xf32> to tensor<1x4x2x8x8xf32>
  %e = tensor.empty() : tensor<1x8x2x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  %c0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p0, %w0 : tensor<1x4x2x8x8xf32>, tensor<8x4x1x3x3xf32>) outs(%o : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  %sig = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x2x6x6xf32>) outs(%e : tensor<1x8x2x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x8x2x6x6xf32>
  %silu = linalg.generic {indexing_maps = [#id5, #id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c0, %sig : tensor<1x8x2x6x6xf32>, tensor<1x8x2x6x6xf32>) outs(%e : tensor<1x8x2x6x6xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %m = arith.mulf %in, %in2 : f32
    linalg.yield %m : f32
  } -> tensor<1x8x2x6x6xf32>
  %p1 = tensor.pad %silu low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %f: index):
    tensor.yield %cst : f32
  } : tensor<1x8x2x6x6xf32> to tensor<1x8x4x8x8xf32>
  %c1 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p1, %w1 : tensor<1x8x4x8x8xf32>, tensor<8x8x3x3x3xf32>) outs(%o : tensor<1x8x2x6x6xf32>) -> tensor<1x8x2x6x6xf32>
  return %c1 : tensor<1x8x2x6x6xf32>
}
