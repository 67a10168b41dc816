// Tensors larger than the memory available, or whose byte count overflows,
// are refused before anything is allocated: a located message and exit
// status 1 (an abort or an overflow panic before).

// RUN: not %chlast-run %s --entry huge_argument 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: chlast-run: argument 0 of @huge_argument (tensor<100000x100000x100xf32>) needs 4000000000000 bytes, more than the {{[0-9]+}} bytes of memory available

// RUN: not %chlast-run %s --entry overflowing 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OVERFLOW: chlast-run: argument 0 of @overflowing (tensor<4294967296x4294967296x16xf32>) needs more than 2^64 bytes, more than the {{[0-9]+}} bytes of memory available

// An .npy file whose header promises as much.
// RUN: python3 -c "import sys; h = \"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }\"; h = h + ' ' * (63 - len(h) % 64) + chr(10); sys.stdout.buffer.write(b'\x93NUMPY\x01\x00' + len(h).to_bytes(2, 'little') + h.encode())" > %t.npy
// RUN: not %chlast-run %s --entry small --inputs %t.npy 2>&1 | FileCheck %s --check-prefix=NPY
// NPY: chlast-run: {{.*}}.npy: shape [4294967296, 4294967296, 16] needs more than 2^64 bytes, more than the {{[0-9]+}} bytes of memory available

// A 4 TB tensor made inside the function (a segfault before).
// RUN: not %chlast-run %s --entry huge_inside 2>&1 | FileCheck %s --check-prefix=INSIDE
// INSIDE: chlast-run: 'tensor.empty' at loc("{{.*}}huge-shapes.mlir":[[@LINE+3]]:{{[0-9]+}}) (tensor<1000000x1000000xf32>) needs 4000000000000 bytes, more than the {{[0-9]+}} bytes of memory available
func.func @huge_inside(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c0 = arith.constant 0 : index
  %e = tensor.empty() : tensor<1000000x1000000xf32>
  %v = tensor.extract %e[%c0, %c0] : tensor<1000000x1000000xf32>
  %r = tensor.insert %v into %x[%c0] : tensor<2xf32>
  return %r : tensor<2xf32>
}

func.func @huge_argument(%x: tensor<100000x100000x100xf32>) -> tensor<100000x100000x100xf32> {
  return %x : tensor<100000x100000x100xf32>
}

func.func @overflowing(%x: tensor<4294967296x4294967296x16xf32>) -> tensor<4294967296x4294967296x16xf32> {
  return %x : tensor<4294967296x4294967296x16xf32>
}

func.func @small(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
