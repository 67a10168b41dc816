// A model with a symbolic batch dim is refused before the import: chlast
// needs static shapes. No output file.

// RUN: %import-python %S/Inputs/make_onnx.py dynamic_batch %t.onnx
// RUN: rm -f %t.mlir
// RUN: not %import-onnx %t.onnx -o %t.mlir 2>&1 | FileCheck %s
// RUN: test ! -e %t.mlir
// CHECK: import-onnx: {{.*}}.onnx: dynamic dimension 0 ('N') in input 0 'x' (tensor<?x3x16x16xf32>): give the model fixed input shapes at export
// CHECK-NOT: import-onnx

// An existing output file is left as it was.
// RUN: echo previous > %t.old.mlir
// RUN: not %import-onnx %t.onnx -o %t.old.mlir 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=OLD < %t.old.mlir
// OLD: previous
