// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last=stats=- %s 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// A convolution written as a linalg.generic (the indexing maps of
// conv_2d_nchw_fchw, 4 parallel and 3 reduction loops) is recognised like the
// named op: image and result NHWC, filter constant re-typed to FHWC.

// CHECK-LABEL: func.func @conv_as_generic(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x8x8xf32>)
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} ins(%[[XL]], %[[W]] : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>) outs(%{{.+}} : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>)
// CHECK:         } -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
// CHECK-NEXT:    return %[[R]]

// STATS: {"function":"conv_as_generic","convs_found":1,"convs_converted":1,
#img = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#fil = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @conv_as_generic(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.generic {indexing_maps = [#img, #fil, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// The same with strides (h * 2 + kh) in the image map.

// CHECK-LABEL: func.func @strided_conv_as_generic(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %{{.+}} : tensor<1x4x9x9xf32> -> tensor<1x4x9x9xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} ins(%[[XL]], %{{.+}} : tensor<1x4x9x9xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<nhwc>>)
// CHECK:         } -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]

// STATS: {"function":"strided_conv_as_generic","convs_found":1,"convs_converted":1,
#img = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h * 2 + kh, w * 2 + kw)>
#fil = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
func.func @strided_conv_as_generic(%x: tensor<1x4x9x9xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %0 = linalg.generic {indexing_maps = [#img, #fil, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// A generic conv between a pad and an elementwise op (as after generalizing
// named ops): the pad and the SiLU follow it.

// CHECK-LABEL: func.func @generic_conv_in_a_chain(
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         tensor.pad %[[XL]]
// CHECK:         } : tensor<1x4x6x6xf32, #chlast.layout<nhwc>> to tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK:         } -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// The SiLU after the last conv may run in either layout (same bytes); one
// conversion back either way.
// CHECK:         chlast.to_layout {{.*}} -> tensor<1x8x6x6xf32>
// CHECK-NOT:     chlast.to_layout
// CHECK:         return

// STATS: {"function":"generic_conv_in_a_chain","convs_found":1,"convs_converted":1,
#img = affine_map<(n, f, h, w, c, kh, kw) -> (n, c, h + kh, w + kw)>
#fil = affine_map<(n, f, h, w, c, kh, kw) -> (f, c, kh, kw)>
#out = affine_map<(n, f, h, w, c, kh, kw) -> (n, f, h, w)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @generic_conv_in_a_chain(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %cst : f32
  } : tensor<1x4x6x6xf32> to tensor<1x4x8x8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %0 = linalg.generic {indexing_maps = [#img, #fil, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%p, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x6x6xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0 : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %r = arith.divf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x8x6x6xf32>
  return %1 : tensor<1x8x6x6xf32>
}
