// The runtime library's path reaches MLIR's ExecutionEngine as a C string:
// with fresh and freed memory filled with junk (glibc's MALLOC_PERTURB_),
// nothing past the path is read and every run finds its symbols. (Reading
// past it failed about one run in two here: "_mlir_ciface_... was not
// generated".)

// RUN: env MALLOC_PERTURB_=165 %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --seed 1 --opt-level 0 | FileCheck %s
// RUN: env MALLOC_PERTURB_=165 %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --seed 2 --opt-level 0 | FileCheck %s
// RUN: env MALLOC_PERTURB_=165 %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --seed 3 --opt-level 0 | FileCheck %s
// RUN: env MALLOC_PERTURB_=165 %chlast-run %imported/vae_decoder_block2d.torch-mlir.mlir --seed 4 --opt-level 0 | FileCheck %s
// RUN: env MALLOC_PERTURB_=165 %chlast-run %s --seed 1 --target cpu-cudnn | FileCheck %s --check-prefix=SMALL
// CHECK: result0: tensor<1x3x32x32xf32>
// SMALL: result0: tensor<2x3xf32>
func.func @copy(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.copy ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
