// An op from a custom domain: no importer knows it. One line per problem
// naming the ONNX op, its domain and where it is in the importer's torch IR,
// exit status 1, no output file.

// RUN: %import-python %S/Inputs/make_onnx.py custom_op %t.onnx
// RUN: rm -f %t.mlir
// RUN: not %import-onnx %t.onnx -o %t.mlir 2>&1 | FileCheck %s
// RUN: test ! -e %t.mlir
// CHECK: import-onnx: {{.*}}.onnx: ONNX op 'FancyActivation' could not be converted (custom domain 'com.example', 1 use; first at line 7 of the torch IR: %3 = torch.operator "onnx.FancyActivation"(%2)
// CHECK-NEXT: import-onnx: {{.*}}.onnx: note: line numbers refer to the importer's torch IR; write it with --keep-torch FILE
// CHECK-NOT: import-onnx
