// Each chunk is processed on its own; an error in one does not stop the others.
// RUN: not %chlast-opt --split-input-file %s 2>&1 | FileCheck %s

// CHECK-DAG: func.func @first
// CHECK-DAG: split-input-file.mlir:14:3: error: 'func.return' op has 1 operands, but enclosing function (@second) returns 0
// CHECK-DAG: func.func @third
func.func @first() {
  return
}

// -----

func.func @second(%x: f32) {
  return %x : f32
}

// -----

func.func @third() {
  return
}
