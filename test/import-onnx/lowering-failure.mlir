// An op converted to torch that torch-mlir then cannot lower to linalg
// (MaxRoiPool -> torch.aten.max_pool2d on dynamic slices): one line naming
// both, exit status 1, no output file.

// RUN: %import-python %S/Inputs/make_onnx.py max_roi_pool %t.onnx
// RUN: rm -f %t.mlir
// RUN: not %import-onnx %t.onnx -o %t.mlir 2>&1 | FileCheck %s
// RUN: test ! -e %t.mlir
// CHECK: import-onnx: {{.*}}.onnx: ONNX op 'MaxRoiPool' became 'torch.aten.max_pool2d', which could not be lowered to linalg (its shapes are not static) (first at line 4 of the torch IR: %0 = torch.operator "onnx.MaxRoiPool"
// CHECK-NEXT: import-onnx: {{.*}}.onnx: note: line numbers refer to the importer's torch IR
// CHECK-NOT: import-onnx
