// Without a GPU, `--target cuda` lowers (and writes the PTX it would run),
// then stops with a clear message and exit status 1.
// UNSUPPORTED: cuda-gpu
// RUN: rm -rf %t && not %chlast-run %s --target cuda --chip sm_90 --emit-ptx %t 2>&1 | FileCheck %s
// RUN: cat %t/scale_kernel.ptx | FileCheck %s --check-prefix=PTX
// RUN: not %chlast-run %s --chip sm_90 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not %chlast-run %s --target tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not %chlast-run %s --target cuda --chip sm_50 2>&1 | FileCheck %s --check-prefix=CHIP

// CHECK: chlast-run: no CUDA driver: libcuda.so.1 not found; the CUDA target needs an NVIDIA GPU and driver
// PTX: .version 8.0
// PTX: .target sm_90
// PTX: .entry scale_kernel(
// CPU: chlast-run: --chip and --emit-ptx only apply to --target cuda
// TARGET: chlast-run: --target must be cpu, cpu-reference, cpu-cudnn or cuda, not 'tpu'
// CHIP: chlast-lower-to-cuda: chip must be sm_70 ... sm_90, not 'sm_50'
func.func @scale(%a: tensor<16xf32>) -> tensor<16xf32> {
  %r = arith.mulf %a, %a : tensor<16xf32>
  return %r : tensor<16xf32>
}
