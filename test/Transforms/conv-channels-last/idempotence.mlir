// Running the pass twice gives the same IR as running it once: converted
// convs carry encodings and are not touched again, skipped convs are skipped
// again for the same reason.
// RUN: %chlast-opt --split-input-file --conv-channels-last %s -o %t.once
// RUN: %chlast-opt --split-input-file --conv-channels-last %s | %chlast-opt --split-input-file --conv-channels-last -o %t.twice
// RUN: diff %t.once %t.twice
// RUN: %chlast-opt --split-input-file --conv-channels-last --conv-channels-last %s -o %t.pipeline
// RUN: diff %t.once %t.pipeline
// RUN: FileCheck %s --input-file %t.twice
// The fixture too.
// RUN: %chlast-opt --conv-channels-last %imported/vae_decoder_block2d.torch-mlir.mlir -o %t.fixture.once
// RUN: %chlast-opt --conv-channels-last %t.fixture.once -o %t.fixture.twice
// RUN: diff %t.fixture.once %t.fixture.twice

// CHECK-LABEL: func.func @chain(
// CHECK-COUNT-2: chlast.to_layout
// CHECK-NOT:     chlast.to_layout
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @chain(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %cst = arith.constant 0.0 : f32
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.1> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x6x6xf32>) dimensions = [0, 2, 3]
  %c0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%bb : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c0 : tensor<1x8x6x6xf32>) outs(%e : tensor<1x8x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x6x6xf32>
  %p = tensor.pad %s low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %cst : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%p, %w1 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%bb : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c1 : tensor<1x8x6x6xf32>
}

// -----

// One conv converted (constant filter), one skipped by the cost rule
// (argument filter between opaque calls): the second run makes the same
// decisions.

// CHECK-LABEL: func.func @converted_and_skipped(
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.+}}, %arg1 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%{{.+}} : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
func.func private @producer() -> tensor<1x4x8x8xf32>
func.func private @consumer(tensor<1x8x6x6xf32>)
func.func @converted_and_skipped(%x: tensor<1x4x8x8xf32>, %wa: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %y = call @producer() : () -> tensor<1x4x8x8xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%y, %wa : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  call @consumer(%b) : (tensor<1x8x6x6xf32>) -> ()
  return %a : tensor<1x8x6x6xf32>
}

// -----

// Dynamic shapes: nothing to do, twice.

// CHECK-LABEL: func.func @dynamic(
// CHECK-NOT:     chlast
func.func @dynamic(%x: tensor<?x4x8x8xf32>, %o: tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w : tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%o : tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}
