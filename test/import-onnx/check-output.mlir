// The checks on the lowered IR (scripts/import-onnx-check.py output), run on
// hand-written results: only upstream dialects, static shapes, exactly one
// public function. One line per problem, exit status 1.

// RUN: %import-python %S/../../scripts/import-onnx-check.py output %S/Inputs/out-ok.mlir ok.onnx

// RUN: not %import-python %S/../../scripts/import-onnx-check.py output %S/Inputs/out-torch-left.mlir m.onnx 2>&1 | FileCheck %s --check-prefix=TORCH
// TORCH: import-onnx: m.onnx: 2 torch_c ops left in the output (a torch/builtin type conversion left by an incomplete lowering), first at line 4: %0 = torch_c.from_builtin_tensor
// TORCH-NEXT: import-onnx: m.onnx: 1 torch op left in the output (a torch op that was not lowered), first at line 5: %1 = torch.aten.relu
// TORCH-NOT: import-onnx

// RUN: not %import-python %S/../../scripts/import-onnx-check.py output %S/Inputs/out-dynamic.mlir m.onnx 2>&1 | FileCheck %s --check-prefix=DYN
// DYN: import-onnx: m.onnx: dynamic dimension left in the signature of @main_graph: argument %arg0 has type tensor<?x8xf32>: give the model fixed input shapes at export
// DYN-NEXT: import-onnx: m.onnx: dynamic dimension left in the signature of @main_graph: result 0 has type tensor<?x8xf32>: give the model fixed input shapes at export
// DYN-NEXT: import-onnx: m.onnx: dynamic dimension left in 3 lines of the body, first at line 5 of the output: %d = tensor.dim %arg0, %c0 : tensor<?x8xf32>
// DYN-NOT: import-onnx

// RUN: not %import-python %S/../../scripts/import-onnx-check.py output %S/Inputs/out-two-funcs.mlir m.onnx 2>&1 | FileCheck %s --check-prefix=FUNCS
// FUNCS: import-onnx: m.onnx: 2 ml_program ops left in the output (a global (ml_program), so the function is not self-contained), first at line 3: ml_program.global private mutable @state
// FUNCS-NEXT: import-onnx: m.onnx: expected exactly one public function, found 2 (@a, @b)
// FUNCS-NOT: import-onnx
