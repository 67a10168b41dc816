// A standard op (DFT) that convert-torch-onnx-to-torch has no pattern for in
// iree-base-compiler 3.13.0: one line naming it, exit status 1, no output
// file. --keep-torch keeps the torch IR even on failure (and so no note).

// RUN: %import-python %S/Inputs/make_onnx.py dft %t.onnx
// RUN: rm -f %t.mlir %t.torch.mlir
// RUN: not %import-onnx %t.onnx -o %t.mlir --keep-torch %t.torch.mlir 2>&1 | FileCheck %s
// RUN: test ! -e %t.mlir
// RUN: FileCheck %s --check-prefix=TORCH < %t.torch.mlir
// CHECK: import-onnx: {{.*}}.onnx: ONNX op 'DFT' could not be converted (1 use in the model; first failing at line 9 of the torch IR: %5 = torch.operator "onnx.DFT"(%4)
// CHECK-NOT: import-onnx
// TORCH: torch.operator "onnx.DFT"
