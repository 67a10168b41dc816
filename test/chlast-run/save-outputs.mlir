// --save-outputs writes DIR/resultN.npy in numpy's own format (.npy 1.0,
// header padded to 64 bytes); the files read back as inputs; the same seed
// gives the same outputs and another seed other outputs.

// RUN: rm -rf %t
// RUN: %chlast-run %s --seed 2 --save-outputs %t/out | FileCheck %s
// CHECK: result0: tensor<2x3x4xf32>
// CHECK: result1: tensor<3xi32> min 1.000000 max 3.000000 mean 2.000000
// CHECK: result2: tensor<2xf16>

// RUN: head -c 128 %t/out/result0.npy | FileCheck %s --check-prefix=HEADER0
// HEADER0: NUMPY
// HEADER0-SAME: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }
// RUN: head -c 128 %t/out/result1.npy | FileCheck %s --check-prefix=HEADER1
// HEADER1: {'descr': '<i4', 'fortran_order': False, 'shape': (3,), }
// RUN: head -c 128 %t/out/result2.npy | FileCheck %s --check-prefix=HEADER2
// HEADER2: {'descr': '<f2', 'fortran_order': False, 'shape': (2,), }

// 128 header bytes + 24 * 4 data bytes.
// RUN: wc -c < %t/out/result0.npy | FileCheck %s --check-prefix=SIZE
// SIZE: 224

// RUN: %chlast-run %S/Inputs/identity-2x3x4.mlir --inputs %t/out/result0.npy --save-outputs %t/again
// RUN: cmp %t/out/result0.npy %t/again/result0.npy

// RUN: %chlast-run %s --seed 2 --save-outputs %t/same
// RUN: cmp %t/out/result0.npy %t/same/result0.npy
// RUN: %chlast-run %s --seed 3 --save-outputs %t/other
// RUN: not cmp -s %t/out/result0.npy %t/other/result0.npy

func.func @f(%x: tensor<2x3x4xf32>, %h: tensor<2xf16>) -> (tensor<2x3x4xf32>, tensor<3xi32>, tensor<2xf16>) {
  %e = tensor.empty() : tensor<2x3x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
       ins(%x : tensor<2x3x4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = math.exp %in : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %c = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
  return %y, %c, %h : tensor<2x3x4xf32>, tensor<3xi32>, tensor<2xf16>
}
