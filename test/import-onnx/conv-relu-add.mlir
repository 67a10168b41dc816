// A small 2-D model (conv3x3 -> relu -> conv3x3 -> + first conv), made with
// onnx.helper at test time, imported to linalg on tensors: named NCHW convs
// with their bias as the init, no torch left, weights inline, and chlast-opt
// takes it as it is.

// RUN: %import-python %S/Inputs/make_onnx.py conv_relu_add %t.onnx
// RUN: rm -f %t.mlir %t.torch.mlir
// RUN: %import-onnx %t.onnx -o %t.mlir --keep-torch %t.torch.mlir
// RUN: FileCheck %s --implicit-check-not=torch --implicit-check-not=dense_resource < %t.mlir
// RUN: FileCheck %s --check-prefix=TORCH < %t.torch.mlir
// RUN: %chlast-opt --conv-channels-last=stats=- %t.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHLAST

// CHECK-LABEL: func.func @g(
// CHECK-SAME:      %{{.*}}: tensor<1x3x16x16xf32>) -> tensor<1x8x16x16xf32>
// CHECK-DAG:     arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<8x3x3x3xf32>
// CHECK-DAG:     arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<8x8x3x3xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         %[[B1:.+]] = linalg.broadcast
// CHECK:         %[[C1:.+]] = linalg.conv_2d_nchw_fchw {{.*}} outs(%[[B1]] : tensor<1x8x16x16xf32>)
// CHECK:         arith.cmpf ugt
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK:         arith.addf
// CHECK:         return %{{.*}} : tensor<1x8x16x16xf32>

// The importer's torch IR, kept for debugging.
// TORCH: torch.operator "onnx.Conv"
// TORCH: torch.operator "onnx.Relu"

// chlast-opt converts both convs; only the input and the result are converted
// at run time.
// CHLAST: {"function":"g","convs_found":2,"convs_converted":2,"convs_skipped":[],
// CHLAST-SAME: "runtime_conversion_count":2,
