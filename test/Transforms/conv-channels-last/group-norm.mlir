// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// torch-mlir's group norm between two convs: collapse [[0], [1, 2, 3]] and
// expand to [N, G, C/G * H * W], reductions into [N, G, 1], broadcast back,
// collapse/expand back to NCHW, per-channel scale and shift with map
// (d1, 0, 0). The layout follows the channel split (channels stay innermost
// inside each group), so there is no conversion inside; the grouped tensors
// carry a view layout.

// COUNT-LABEL: func.func @group_norm_between_convs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @group_norm_between_convs(
// CHECK-NEXT:    chlast.to_layout %arg0 : tensor<1x4x6x6xf32> -> tensor<1x4x6x6xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[COL:.+]] = tensor.collapse_shape %[[C0]] {{\[\[}}0], [1, 2, 3]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> into tensor<1x128xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 16]>>
// CHECK-NEXT:    %[[G:.+]] = tensor.expand_shape %[[COL]] {{\[\[}}0], [1, 2]] output_shape [1, 2, 64] : tensor<1x128xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 16]>> into tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>
// The [N, G, 1] statistics have one element per group: no layout to choose.
// CHECK:         %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[G]] : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>) outs(%{{.+}} : tensor<1x2x1xf32>)
// CHECK:         } -> tensor<1x2x1xf32>
// CHECK:         %[[MEANB:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<1x2xf32>) outs(%{{.+}} : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>)
// CHECK:         %[[XC:.+]] = linalg.generic {{.*}} ins(%[[G]], %[[MEANB]] : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>, tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>) outs(%{{.+}} : tensor<1x2x1xf32>)
// CHECK:         %[[NORM:.+]] = linalg.generic {{.*}} ins(%[[XC]], %{{.+}} : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>, tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>>)
// CHECK:         %[[BACK:.+]] = tensor.collapse_shape %[[NORM]] {{\[\[}}0], [1, 2]] : tensor<1x2x64xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 16]>> into tensor<1x128xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 16]>>
// CHECK-NEXT:    %[[BACK4:.+]] = tensor.expand_shape %[[BACK]] {{\[\[}}0], [1, 2, 3]] output_shape [1, 8, 4, 4] : tensor<1x128xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 16]>> into tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[SCALED:.+]] = linalg.generic {{.*}} ins(%[[BACK4]], %{{.+}} : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>, tensor<8x1x1xf32>) outs(%{{.+}} : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>)
// CHECK:         %[[SHIFTED:.+]] = linalg.generic {{.*}} ins(%[[SCALED]], %{{.+}} : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>, tensor<8x1x1xf32>)
// CHECK:         tensor.pad %[[SHIFTED]]
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[R]]
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @group_norm_between_convs(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %n = arith.constant 6.4e+01 : f32
  %eps = arith.constant 1.0e-05 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %gamma = arith.constant dense<1.5> : tensor<8x1x1xf32>
  %beta = arith.constant dense<0.1> : tensor<8x1x1xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %collapsed = tensor.collapse_shape %c0 [[0], [1, 2, 3]] : tensor<1x8x4x4xf32> into tensor<1x128xf32>
  %expanded = tensor.expand_shape %collapsed [[0], [1, 2]] output_shape [1, 2, 64] : tensor<1x128xf32> into tensor<1x2x64xf32>
  %e1 = tensor.empty() : tensor<1x2x1xf32>
  %z1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x64xf32>) outs(%z1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %mean = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum : tensor<1x2x1xf32>) outs(%e1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.divf %in, %n : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %e2 = tensor.empty() : tensor<1x2x64xf32>
  %mean2 = tensor.collapse_shape %mean [[0], [1, 2]] : tensor<1x2x1xf32> into tensor<1x2xf32>
  %meanb = linalg.generic {indexing_maps = [#map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%mean2 : tensor<1x2xf32>) outs(%e2 : tensor<1x2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x64xf32>
  %xc = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded, %meanb : tensor<1x2x64xf32>, tensor<1x2x64xf32>) outs(%e2 : tensor<1x2x64xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.subf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64xf32>
  %sq = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xc, %xc : tensor<1x2x64xf32>, tensor<1x2x64xf32>) outs(%e2 : tensor<1x2x64xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64xf32>
  %vsum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sq : tensor<1x2x64xf32>) outs(%z1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %rstd = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%vsum : tensor<1x2x1xf32>) outs(%e1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.divf %in, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %rstd2 = tensor.collapse_shape %rstd [[0], [1, 2]] : tensor<1x2x1xf32> into tensor<1x2xf32>
  %rstdb = linalg.generic {indexing_maps = [#map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%rstd2 : tensor<1x2xf32>) outs(%e2 : tensor<1x2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x64xf32>
  %norm = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xc, %rstdb : tensor<1x2x64xf32>, tensor<1x2x64xf32>) outs(%e2 : tensor<1x2x64xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64xf32>
  %back = tensor.collapse_shape %norm [[0], [1, 2]] : tensor<1x2x64xf32> into tensor<1x128xf32>
  %back4 = tensor.expand_shape %back [[0], [1, 2, 3]] output_shape [1, 8, 4, 4] : tensor<1x128xf32> into tensor<1x8x4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%back4, %gamma : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x4x4xf32>
  %shifted = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled, %beta : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.addf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x4x4xf32>
  %p = tensor.pad %shifted low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x4x4xf32> to tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1 : tensor<1x8x4x4xf32>
}

// -----

// The same with one channel per group (G = C): the grouped view degenerates
// to a plain permutation of [N, G, H * W].

// COUNT-LABEL: func.func @group_norm_one_channel_per_group(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @group_norm_one_channel_per_group(
// CHECK:         tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2]] output_shape [1, 8, 16] : tensor<1x128xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 16]>> into tensor<1x8x16xf32, #chlast.layout<[0, 2, 1]>>
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map3 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @group_norm_one_channel_per_group(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %n = arith.constant 1.6e+01 : f32
  %eps = arith.constant 1.0e-05 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %gamma = arith.constant dense<1.5> : tensor<8x1x1xf32>
  %beta = arith.constant dense<0.1> : tensor<8x1x1xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %collapsed = tensor.collapse_shape %c0 [[0], [1, 2, 3]] : tensor<1x8x4x4xf32> into tensor<1x128xf32>
  %expanded = tensor.expand_shape %collapsed [[0], [1, 2]] output_shape [1, 8, 16] : tensor<1x128xf32> into tensor<1x8x16xf32>
  %e1 = tensor.empty() : tensor<1x8x1xf32>
  %z1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x8x16xf32>) outs(%z1 : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1xf32>
  %mean = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum : tensor<1x8x1xf32>) outs(%e1 : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.divf %in, %n : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1xf32>
  %e2 = tensor.empty() : tensor<1x8x16xf32>
  %mean2 = tensor.collapse_shape %mean [[0], [1, 2]] : tensor<1x8x1xf32> into tensor<1x8xf32>
  %meanb = linalg.generic {indexing_maps = [#map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%mean2 : tensor<1x8xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x16xf32>
  %xc = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded, %meanb : tensor<1x8x16xf32>, tensor<1x8x16xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.subf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x16xf32>
  %sq = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xc, %xc : tensor<1x8x16xf32>, tensor<1x8x16xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x16xf32>
  %vsum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sq : tensor<1x8x16xf32>) outs(%z1 : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1xf32>
  %rstd = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%vsum : tensor<1x8x1xf32>) outs(%e1 : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.divf %in, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<1x8x1xf32>
  %rstd2 = tensor.collapse_shape %rstd [[0], [1, 2]] : tensor<1x8x1xf32> into tensor<1x8xf32>
  %rstdb = linalg.generic {indexing_maps = [#map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%rstd2 : tensor<1x8xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x16xf32>
  %norm = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xc, %rstdb : tensor<1x8x16xf32>, tensor<1x8x16xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x16xf32>
  %back = tensor.collapse_shape %norm [[0], [1, 2]] : tensor<1x8x16xf32> into tensor<1x128xf32>
  %back4 = tensor.expand_shape %back [[0], [1, 2, 3]] output_shape [1, 8, 4, 4] : tensor<1x128xf32> into tensor<1x8x4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%back4, %gamma : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x4x4xf32>
  %shifted = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled, %beta : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.addf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x4x4xf32>
  %p = tensor.pad %shifted low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x4x4xf32> to tensor<1x8x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c1 : tensor<1x8x4x4xf32>
}

// -----

// Group norm between two conv3d (video VAE): [N, C, D, H, W] grouped as
// [N, G, C/G * D * H * W]; mean subtraction and per-channel scale with map
// (d1, 0, 0, 0).

// COUNT-LABEL: func.func @group_norm_conv3d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @group_norm_conv3d(
// CHECK:         %[[C0:.+]] = linalg.conv_3d_ncdhw_fcdhw {{.*}} -> tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[COL:.+]] = tensor.collapse_shape %[[C0]] {{\[\[}}0], [1, 2, 3, 4]] : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>> into tensor<1x256xf32, #chlast.layout<[0, 2, 1], view = [1, 8, 32]>>
// CHECK-NEXT:    %[[G:.+]] = tensor.expand_shape %[[COL]] {{\[\[}}0], [1, 2]] output_shape [1, 2, 128] : {{.*}} into tensor<1x2x128xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 2, 4, 32]>>
// CHECK:         tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2, 3, 4]] output_shape [1, 8, 2, 4, 4] : {{.*}} into tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
// CHECK-NEXT:    %[[SCALED:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>, tensor<8x1x1x1xf32>) outs(%{{.+}} : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>)
// CHECK:         tensor.pad %[[SCALED]]
// CHECK:         %[[C1:.+]] = linalg.conv_3d_ncdhw_fcdhw
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]] : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x4x4xf32>
// CHECK-NEXT:    return %[[R]]
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map3 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#map4 = affine_map<(d0, d1, d2, d3, d4) -> (d1, 0, 0, 0)>
func.func @group_norm_conv3d(%x: tensor<1x4x4x6x6xf32>) -> tensor<1x8x2x4x4xf32> {
  %cst = arith.constant 0.0 : f32
  %n = arith.constant 1.28e+02 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3x3xf32>
  %gamma = arith.constant dense<1.5> : tensor<8x1x1x1xf32>
  %e = tensor.empty() : tensor<1x8x2x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x2x4x4xf32>) -> tensor<1x8x2x4x4xf32>
  %c0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w0 : tensor<1x4x4x6x6xf32>, tensor<8x4x3x3x3xf32>) outs(%o : tensor<1x8x2x4x4xf32>) -> tensor<1x8x2x4x4xf32>
  %collapsed = tensor.collapse_shape %c0 [[0], [1, 2, 3, 4]] : tensor<1x8x2x4x4xf32> into tensor<1x256xf32>
  %expanded = tensor.expand_shape %collapsed [[0], [1, 2]] output_shape [1, 2, 128] : tensor<1x256xf32> into tensor<1x2x128xf32>
  %e1 = tensor.empty() : tensor<1x2x1xf32>
  %z1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction"]} ins(%expanded : tensor<1x2x128xf32>) outs(%z1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %mean = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sum : tensor<1x2x1xf32>) outs(%e1 : tensor<1x2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.divf %in, %n : f32
    linalg.yield %r : f32
  } -> tensor<1x2x1xf32>
  %e2 = tensor.empty() : tensor<1x2x128xf32>
  %mean2 = tensor.collapse_shape %mean [[0], [1, 2]] : tensor<1x2x1xf32> into tensor<1x2xf32>
  %meanb = linalg.generic {indexing_maps = [#map2, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%mean2 : tensor<1x2xf32>) outs(%e2 : tensor<1x2x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x2x128xf32>
  %xc = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%expanded, %meanb : tensor<1x2x128xf32>, tensor<1x2x128xf32>) outs(%e2 : tensor<1x2x128xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.subf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x2x128xf32>
  %back = tensor.collapse_shape %xc [[0], [1, 2]] : tensor<1x2x128xf32> into tensor<1x256xf32>
  %back5 = tensor.expand_shape %back [[0], [1, 2, 3, 4]] output_shape [1, 8, 2, 4, 4] : tensor<1x256xf32> into tensor<1x8x2x4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#map3, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%back5, %gamma : tensor<1x8x2x4x4xf32>, tensor<8x1x1x1xf32>) outs(%e : tensor<1x8x2x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<1x8x2x4x4xf32>
  %p = tensor.pad %scaled low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index, %f: index):
    tensor.yield %cst : f32
  } : tensor<1x8x2x4x4xf32> to tensor<1x8x4x6x6xf32>
  %c1 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%p, %w1 : tensor<1x8x4x6x6xf32>, tensor<8x8x3x3x3xf32>) outs(%o : tensor<1x8x2x4x4xf32>) -> tensor<1x8x2x4x4xf32>
  return %c1 : tensor<1x8x2x4x4xf32>
}
