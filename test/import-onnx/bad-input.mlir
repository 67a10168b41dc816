// Bad command lines and files: a clear message, a non-zero exit status, no
// output file. None of these runs the importer.

// RUN: rm -f %t.mlir
// RUN: not %import-onnx %S/Inputs/does-not-exist.onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: test ! -e %t.mlir
// MISSING: import-onnx: {{.*}}does-not-exist.onnx: no such file

// An MLIR file is not an ONNX model.
// RUN: not %import-onnx %s -o %t.mlir 2>&1 | FileCheck %s --check-prefix=NOT-ONNX
// RUN: test ! -e %t.mlir
// NOT-ONNX: import-onnx: {{.*}}bad-input.mlir: not an ONNX model (it does not parse as an ONNX protobuf: DecodeError)

// RUN: rm -f %t.empty.onnx && touch %t.empty.onnx
// RUN: not %import-onnx %t.empty.onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: test ! -e %t.mlir
// EMPTY: import-onnx: {{.*}}.empty.onnx: not an ONNX model (the file is empty)

// RUN: not %import-onnx %S -o %t.mlir 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: import-onnx: {{.*}}import-onnx: not a regular file

// RUN: not %import-onnx %s 2>&1 | FileCheck %s --check-prefix=NO-OUT
// NO-OUT: import-onnx: no output file given (-o OUT.mlir)
// NO-OUT-NEXT: usage: scripts/import-onnx.sh MODEL.onnx -o OUT.mlir

// RUN: not %import-onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=NO-MODEL
// NO-MODEL: import-onnx: no model given

// RUN: not %import-onnx %s -o %t.mlir --frobnicate 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: test ! -e %t.mlir
// OPTION: import-onnx: unknown option '--frobnicate'

// RUN: not %import-onnx %s -o %t.mlir --opset-version latest 2>&1 | FileCheck %s --check-prefix=OPSET
// OPSET: import-onnx: --opset-version needs a number, not 'latest'

// RUN: not %import-onnx %s -o %t.no-such-dir/out.mlir 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: import-onnx: {{.*}}bad-input.mlir: output directory '{{.*}}.no-such-dir' does not exist

// RUN: %import-onnx -h | FileCheck %s --check-prefix=HELP
// HELP: usage: scripts/import-onnx.sh MODEL.onnx -o OUT.mlir [options]
// HELP: --keep-torch FILE
