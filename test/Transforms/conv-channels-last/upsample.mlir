// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s --check-prefix=COUNT

// torch-mlir's nearest upsample: a linalg.generic with only an output, whose
// body computes source indices from linalg.index and reads the source with
// tensor.extract (a gather along the spatial dims only). It runs in NHWC and
// reads the NHWC conv output: no conversion around it.

// COUNT-LABEL: func.func @nearest_upsample_between_convs(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @nearest_upsample_between_convs(
// CHECK-NEXT:    chlast.to_layout %arg0
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C0:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[E:.+]] = tensor.empty() : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[UP:.+]] = linalg.generic {{.*}} outs(%[[E]] : tensor<1x8x8x8xf32, #chlast.layout<nhwc>>)
// CHECK:           tensor.extract %[[C0]][{{.*}}] : tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
// CHECK:         } -> tensor<1x8x8x8xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[P:.+]] = tensor.pad %[[UP]]
// CHECK:         } : tensor<1x8x8x8xf32, #chlast.layout<nhwc>> to tensor<1x8x10x10xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[P]],
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[C1]]
// CHECK-NEXT:    return %[[R]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @nearest_upsample_between_convs(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %half = arith.constant 5.000000e-01 : f32
  %two = arith.constant 2.000000e+00 : f32
  %max = arith.constant 3.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %o = linalg.fill ins(%cst : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %conv0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %eu = tensor.empty() : tensor<1x8x8x8xf32>
  %up = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%eu : tensor<1x8x8x8xf32>) {
  ^bb0(%out: f32):
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %i3 = linalg.index 3 : index
    %a0 = arith.index_cast %i2 : index to i64
    %a1 = arith.sitofp %a0 : i64 to f32
    %a2 = arith.addf %a1, %half : f32
    %a3 = arith.divf %a2, %two : f32
    %a4 = arith.subf %a3, %half : f32
    %a5 = math.floor %a4 : f32
    %a6 = math.ceil %a4 : f32
    %a7 = arith.subf %a4, %a5 : f32
    %a8 = arith.cmpf ule, %a7, %half : f32
    %a9 = arith.select %a8, %a5, %a6 : f32
    %a10 = arith.maximumf %a9, %cst : f32
    %a11 = arith.minimumf %a10, %max : f32
    %a12 = arith.fptosi %a11 : f32 to i64
    %h = arith.index_cast %a12 : i64 to index
    %b0 = arith.index_cast %i3 : index to i64
    %b1 = arith.sitofp %b0 : i64 to f32
    %b2 = arith.addf %b1, %half : f32
    %b3 = arith.divf %b2, %two : f32
    %b4 = arith.subf %b3, %half : f32
    %b5 = math.floor %b4 : f32
    %b6 = math.ceil %b4 : f32
    %b7 = arith.subf %b4, %b5 : f32
    %b8 = arith.cmpf ule, %b7, %half : f32
    %b9 = arith.select %b8, %b5, %b6 : f32
    %b10 = arith.maximumf %b9, %cst : f32
    %b11 = arith.minimumf %b10, %max : f32
    %b12 = arith.fptosi %b11 : f32 to i64
    %w = arith.index_cast %b12 : i64 to index
    %v = tensor.extract %conv0[%c0, %i1, %h, %w] : tensor<1x8x4x4xf32>
    linalg.yield %v : f32
  } -> tensor<1x8x8x8xf32>
  %p = tensor.pad %up low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %cst : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %e1 = tensor.empty() : tensor<1x8x8x8xf32>
  %o1 = linalg.fill ins(%cst : f32) outs(%e1 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %conv1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>) outs(%o1 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %conv1 : tensor<1x8x8x8xf32>
}

// -----

// Video upsample x(1, 2, 2): the time index is linalg.index 2 itself.

// COUNT-LABEL: func.func @nearest_upsample_conv3d(
// COUNT-COUNT-2: chlast.to_layout
// COUNT-NOT:     chlast.to_layout

// CHECK-LABEL: func.func @nearest_upsample_conv3d(
// CHECK:         %[[C0:.+]] = linalg.conv_3d_ncdhw_fcdhw {{.*}} -> tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
// CHECK:         %[[UP:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x8x2x8x8xf32, #chlast.layout<ndhwc>>)
// CHECK:           tensor.extract %[[C0]][{{.*}}] : tensor<1x8x2x4x4xf32, #chlast.layout<ndhwc>>
// CHECK:         } -> tensor<1x8x2x8x8xf32, #chlast.layout<ndhwc>>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
func.func @nearest_upsample_conv3d(%x: tensor<1x4x4x6x6xf32>) -> tensor<1x8x2x8x8xf32> {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x1x1x1xf32>
  %e = tensor.empty() : tensor<1x8x2x4x4xf32>
  %conv0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%x, %w0 : tensor<1x4x4x6x6xf32>, tensor<8x4x3x3x3xf32>) outs(%e : tensor<1x8x2x4x4xf32>) -> tensor<1x8x2x4x4xf32>
  %eu = tensor.empty() : tensor<1x8x2x8x8xf32>
  %up = linalg.generic {indexing_maps = [#id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%eu : tensor<1x8x2x8x8xf32>) {
  ^bb0(%out: f32):
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %i3 = linalg.index 3 : index
    %i4 = linalg.index 4 : index
    %h = arith.divui %i3, %c2 : index
    %w = arith.divui %i4, %c2 : index
    %v = tensor.extract %conv0[%c0, %i1, %i2, %h, %w] : tensor<1x8x2x4x4xf32>
    linalg.yield %v : f32
  } -> tensor<1x8x2x8x8xf32>
  %e1 = tensor.empty() : tensor<1x8x2x8x8xf32>
  %conv1 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
         ins(%up, %w1 : tensor<1x8x2x8x8xf32>, tensor<8x8x1x1x1xf32>) outs(%e1 : tensor<1x8x2x8x8xf32>) -> tensor<1x8x2x8x8xf32>
  return %conv1 : tensor<1x8x2x8x8xf32>
}

