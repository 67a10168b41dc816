// A 3x3x3 conv with bias imports as linalg.conv_3d_ncdhw_fcdhw, which
// chlast-opt converts to NDHWC.

// RUN: %import-python %S/Inputs/make_onnx.py conv3d %t.onnx
// RUN: %import-onnx %t.onnx -o %t.mlir
// RUN: FileCheck %s --implicit-check-not=torch < %t.mlir
// RUN: %chlast-opt --conv-channels-last=stats=- %t.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHLAST

// CHECK-LABEL: func.func @g(
// CHECK-SAME:      %{{.*}}: tensor<1x4x4x8x8xf32>) -> tensor<1x8x4x8x8xf32>
// CHECK:         tensor.pad %{{.*}} low[0, 0, 1, 1, 1] high[0, 0, 1, 1, 1]
// CHECK:         linalg.conv_3d_ncdhw_fcdhw
// CHECK-SAME:      -> tensor<1x8x4x8x8xf32>

// CHLAST: {"function":"g","convs_found":1,"convs_converted":1,"convs_skipped":[],
// CHLAST-SAME: "runtime_conversion_count":2,
