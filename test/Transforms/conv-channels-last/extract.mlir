// RUN: %chlast-opt --split-input-file --conv-channels-last %s | FileCheck %s
// RUN: %chlast-opt --split-input-file --conv-channels-last --chlast-materialize-layouts %s | FileCheck %s --check-prefix=PHYSICAL

// A conv result also read element by element (tensor.extract): the read
// takes the value in its channels-last layout (it reads by logical
// indices, so it needs no conversion), and materialization turns the
// logical indices into physical ones.

// CHECK-LABEL: func.func @conv_result_read_by_extract(
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x6x6xf32, #chlast.layout<nhwc>>
// CHECK:         tensor.extract %[[Y]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : tensor<1x8x6x6xf32, #chlast.layout<nhwc>>

// PHYSICAL-LABEL: func.func @conv_result_read_by_extract(
// PHYSICAL-DAG:     %[[C1:.+]] = arith.constant 1 : index
// PHYSICAL-DAG:     %[[C3:.+]] = arith.constant 3 : index
// PHYSICAL-DAG:     %[[C5:.+]] = arith.constant 5 : index
// PHYSICAL:         tensor.extract %{{.+}}[%{{.+}}, %[[C3]], %[[C5]], %[[C1]]] : tensor<1x6x6x8xf32>
func.func @conv_result_read_by_extract(%x: tensor<1x4x8x8xf32>) -> (tensor<1x8x4x4xf32>, f32) {
  %w0 = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w1 = arith.constant dense<0.25> : tensor<8x8x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x8x6x6xf32>
  %i0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %e1 = tensor.empty() : tensor<1x8x4x4xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%x, %w0 : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%i0 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %z = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
         ins(%y, %w1 : tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) outs(%i1 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %v = tensor.extract %y[%c0, %c1, %c3, %c5] : tensor<1x8x6x6xf32>
  return %z, %v : tensor<1x8x4x4xf32>, f32
}
