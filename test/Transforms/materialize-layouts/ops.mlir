// RUN: %chlast-opt --split-input-file --chlast-materialize-layouts %s | FileCheck %s

// Pads get their physical dims; elementwise generics permuted maps.
// CHECK-LABEL: func @pad_and_elementwise
// CHECK: tensor.pad %{{.+}} low[0, 2, 1, 0] high[0, 0, 1, 0]
// CHECK: } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}} : tensor<1x6x6x8xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>)
// CHECK-NOT: chlast
func.func @pad_and_elementwise(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 1] high[0, 0, 0, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> to tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
  %e = tensor.empty() : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
  %n = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) outs(%e : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
  %back = chlast.to_layout %n : tensor<1x8x6x6xf32, #chlast.layout<nhwc>> -> tensor<1x8x6x6xf32>
  return %back : tensor<1x8x6x6xf32>
}

// -----

// A 2-D conv on NHWC/FHWC data keeps a named form.
// CHECK-LABEL: func @strided_conv
// CHECK: linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<1x9x9x4xf32>, tensor<8x3x3x4xf32>) outs(%{{.+}} : tensor<1x4x4x8xf32>)
func.func @strided_conv(%x: tensor<1x4x9x9xf32, #chlast.layout<nhwc>>, %o: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32, #chlast.layout<fhwc>>
  %oe = chlast.to_layout %o : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x9x9xf32, #chlast.layout<nhwc>>, tensor<8x4x3x3xf32, #chlast.layout<fhwc>>)
         outs(%oe : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %r = chlast.to_layout %y : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
  return %r : tensor<1x8x4x4xf32>
}

// -----

// Concat along channels is along the innermost physical dim.
// CHECK-LABEL: func @concat_channels
// CHECK: tensor.concat dim(3) %{{.+}}, %{{.+}} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x16xf32>
func.func @concat_channels(%a: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>, %b: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x16x4x4xf32> {
  %c = tensor.concat dim(1) %a, %b : (tensor<1x8x4x4xf32, #chlast.layout<nhwc>>, tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x16x4x4xf32, #chlast.layout<nhwc>>
  %r = chlast.to_layout %c : tensor<1x16x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}

// -----

// Slices get physical offsets and sizes.
// CHECK-LABEL: func @slices
// CHECK: tensor.extract_slice %{{.+}}[0, 1, 0, 2] [1, 2, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x8xf32> to tensor<1x2x4x4xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 1, 0, 2] [1, 2, 4, 4] [1, 1, 1, 1] : tensor<1x2x4x4xf32> into tensor<1x4x4x8xf32>
func.func @slices(%a: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x4x4xf32> {
  %s = tensor.extract_slice %a[0, 2, 1, 0] [1, 4, 2, 4] [1, 1, 1, 1] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> to tensor<1x4x2x4xf32, #chlast.layout<nhwc>>
  %i = tensor.insert_slice %s into %a[0, 2, 1, 0] [1, 4, 2, 4] [1, 1, 1, 1] : tensor<1x4x2x4xf32, #chlast.layout<nhwc>> into tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
  %r = chlast.to_layout %i : tensor<1x8x4x4xf32, #chlast.layout<nhwc>> -> tensor<1x8x4x4xf32>
  return %r : tensor<1x8x4x4xf32>
}

// -----

// Group norm: reshapes are metadata only on physical data; the reduction
// splits its loop to follow the view (C/G x HW).
// CHECK-LABEL: func @group_norm_statistics
// CHECK-NOT: linalg.transpose
// CHECK: tensor.collapse_shape %arg0
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.+}} : tensor<1x256x8x4xf32>)
// CHECK-NOT: linalg.transpose
func.func @group_norm_statistics(%x: tensor<1x32x16x16xf32, #chlast.layout<nhwc>>) -> tensor<1x8x1xf32> {
  %zero = arith.constant 0.0 : f32
  %c = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<1x32x16x16xf32, #chlast.layout<nhwc>> into tensor<1x8192xf32, #chlast.layout<[0, 2, 1], view = [1, 32, 256]>>
  %g = tensor.expand_shape %c [[0], [1, 2]] output_shape [1, 8, 1024] : tensor<1x8192xf32, #chlast.layout<[0, 2, 1], view = [1, 32, 256]>> into tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>
  %e = tensor.empty() : tensor<1x8x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%g : tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>) outs(%f : tensor<1x8x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<1x8x1xf32>
  return %s : tensor<1x8x1xf32>
}

// -----

// Gathers index the physical source; linalg.index keeps its logical meaning.
// CHECK-LABEL: func @nearest_upsample
// CHECK: linalg.generic
// CHECK: %[[C:.+]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%{{.+}}, %{{.+}}, %{{.+}}, %[[C]]] : tensor<1x4x4x8xf32>
func.func @nearest_upsample(%x: tensor<1x8x4x4xf32, #chlast.layout<nhwc>>) -> tensor<1x8x8x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
  %u = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%e : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>) {
  ^bb0(%out: f32):
    %ch = linalg.index 1 : index
    %h = linalg.index 2 : index
    %w = linalg.index 3 : index
    %hs = arith.divui %h, %c2 : index
    %ws = arith.divui %w, %c2 : index
    %v = tensor.extract %x[%c0, %ch, %hs, %ws] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
    linalg.yield %v : f32
  } -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
  %r = chlast.to_layout %u : tensor<1x8x8x8xf32, #chlast.layout<nhwc>> -> tensor<1x8x8x8xf32>
  return %r : tensor<1x8x8x8xf32>
}

// -----

// 3-D convs have no NDHWC x FDHWC named op upstream: a generic.
// CHECK: #map = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d2 + d6, d3 + d7, d4 + d8, d5)>
// CHECK-NEXT: #map1 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d1, d6, d7, d8, d5)>
// CHECK-NEXT: #map2 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d2, d3, d4, d1)>
// CHECK-LABEL: func @conv3d
// CHECK: linalg.generic {indexing_maps = [#map, #map1, #map2]
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<1x4x6x6x4xf32>, tensor<8x3x3x3x4xf32>) outs(%{{.+}} : tensor<1x2x4x4x8xf32>)
func.func @conv3d(%x: tensor<1x4x4x6x6xf32, #chlast.layout<ndhwc>>, %o: tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x2x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32, #chlast.layout<fdhwc>>
  %y = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : tensor<3xi64>, strides = dense<1> : tensor<3xi64>}
         ins(%x, %w : tensor<1x4x4x6x6xf32, #chlast.layout<ndhwc>>, tensor<8x4x3x3x3xf32, #chlast.layout<fdhwc>>)
         outs(%o : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>) -> tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
  %r = chlast.to_layout %y : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>> -> tensor<1x8x2x4x4xf32>
  return %r : tensor<1x8x2x4x4xf32>
}

// -----

// Grouped convs keep a named form too (NHWGC image, GFHWC filter).
// CHECK-LABEL: func @grouped_conv
// CHECK: linalg.conv_2d_nhwgc_gfhwc
// CHECK-SAME: ins(%{{.+}}, %{{.+}} : tensor<1x6x6x2x4xf32>, tensor<2x4x3x3x4xf32>) outs(%{{.+}} : tensor<1x4x4x2x4xf32>)
func.func @grouped_conv(%x: tensor<1x2x4x6x6xf32>) -> tensor<1x2x4x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<2x4x4x3x3xf32, #chlast.layout<[0, 1, 3, 4, 2]>>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>) -> tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
  %xe = chlast.to_layout %x : tensor<1x2x4x6x6xf32> -> tensor<1x2x4x6x6xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%xe, %w : tensor<1x2x4x6x6xf32, #chlast.layout<[0, 3, 4, 1, 2]>>, tensor<2x4x4x3x3xf32, #chlast.layout<[0, 1, 3, 4, 2]>>)
         outs(%f : tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>) -> tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>>
  %r = chlast.to_layout %y : tensor<1x2x4x4x4xf32, #chlast.layout<[0, 3, 4, 1, 2]>> -> tensor<1x2x4x4x4xf32>
  return %r : tensor<1x2x4x4x4xf32>
}
