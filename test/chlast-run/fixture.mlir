// The shared fixture (torch-mlir output, 5 convs) runs, is timed, and its
// output is saved as .npy.

// RUN: rm -rf %t
// RUN: %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --iterations 3 --save-outputs %t | FileCheck %s
// CHECK: result0: tensor<1x3x32x32xf32> min {{.*}} max {{.*}} mean {{.*}}
// CHECK-NEXT: convolutions on oneDNN: 5 ({{[0-9]}} with x/y reordered; {{.*}}), on the CPU reference: 0
// CHECK-NEXT: min {{[0-9]+\.[0-9][0-9][0-9]}} ms, median {{[0-9]+\.[0-9][0-9][0-9]}} ms over 3 runs
// CHECK-NEXT: profile (mean ms per run): total {{[0-9.]+}} = convolutions {{[0-9.]+}} + reorders {{[0-9.]+}} + rest {{[0-9.]+}}
// RUN: head -c 128 %t/result0.npy | FileCheck %s --check-prefix=NPY
// NPY: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }

// The fixture against itself.
// RUN: %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --compare %imported/vae_decoder_block2d.torch-mlir.mlir --seed 5 | FileCheck %s --check-prefix=SELF
// SELF: result0: tensor<1x3x32x32xf32> max abs error 0.000e0, max rel error 0.000e0, 0/3072 beyond tolerance (rtol 1e-4, atol 1e-5): PASS
