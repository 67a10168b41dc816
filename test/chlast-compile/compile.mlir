// chlast-compile writes an object defining the C interface entry point and
// a header declaring it; errors name the problem and leave no output.
// RUN: rm -f %t.o %t.h
// RUN: %chlast-compile %s --target cpu-reference -o %t.o --header %t.h | FileCheck %s --check-prefix=OUT
// OUT: compile.mlir.tmp.o: _mlir_ciface_scale_bias (tensor<2x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>)
// RUN: llvm-nm %t.o | FileCheck %s --check-prefix=SYMBOLS
// SYMBOLS: T _mlir_ciface_scale_bias
// RUN: FileCheck %s --check-prefix=HEADER < %t.h
// HEADER: #include <stdint.h>
// HEADER: typedef struct {
// HEADER-NEXT:   float *allocated;
// HEADER-NEXT:   float *aligned;
// HEADER-NEXT:   int64_t offset;
// HEADER-NEXT:   int64_t sizes[2];
// HEADER-NEXT:   int64_t strides[2];
// HEADER-NEXT: } chlast_memref_f32_2d;
// HEADER: } chlast_memref_f32_1d;
// HEADER: void _mlir_ciface_scale_bias(
// HEADER-NEXT:     chlast_memref_f32_2d *arg0 /* tensor<2x8xf32> */,
// HEADER-NEXT:     chlast_memref_f32_1d *arg1 /* tensor<8xf32> */,
// HEADER-NEXT:     chlast_memref_f32_2d *result0 /* tensor<2x8xf32>, filled by the call */);

// The object is for this machine's CPU: optimized LLVM IR on request.
// RUN: %chlast-compile %s -o %t.o --emit-llvm %t.ll
// RUN: FileCheck %s --check-prefix=LLVM < %t.ll
// LLVM: define void @_mlir_ciface_scale_bias(
// LLVM: attributes #{{[0-9]+}} = {{.*}}"target-cpu"=

// The CUDA target: the PTX goes into the object (a constant its constructor
// loads), the host code calls the CUDA runtime library.
// RUN: %chlast-compile %s --target cuda --chip sm_90 -o %t.cuda.o | FileCheck %s --check-prefix=CUDA
// CUDA: link with: -lchlast_cuda_runtime
// RUN: llvm-nm %t.cuda.o | FileCheck %s --check-prefix=CUDA-SYMBOLS
// CUDA-SYMBOLS-DAG: T _mlir_ciface_scale_bias
// CUDA-SYMBOLS-DAG: U mgpuModuleLoadJIT
// CUDA-SYMBOLS-DAG: U mgpuLaunchKernel
// CUDA-SYMBOLS-DAG: U _mlir_memref_to_llvm_alloc
// RUN: llvm-strings %t.cuda.o | FileCheck %s --check-prefix=CUDA-PTX
// CUDA-PTX: .target sm_90

// Errors: no -o, a bad target or chip, an unparsable file (file:line:col),
// none of which writes a file.
// RUN: rm -f %t.o
// RUN: not %chlast-compile %s 2>&1 | FileCheck %s --check-prefix=NO-OUT
// NO-OUT: chlast-compile: no output file: -o OUT.o is required
// RUN: not %chlast-compile %s --target rocm -o %t.o 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: chlast-compile: --target must be cpu, cpu-reference or cuda, not 'rocm'
// RUN: not %chlast-compile %s --chip sm_90 -o %t.o 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: chlast-compile: --chip only applies to --target cuda
// RUN: not %chlast-compile %s --target cuda --chip sm_20 -o %t.o 2>&1 | FileCheck %s --check-prefix=BAD-CHIP
// BAD-CHIP: chlast-compile: building the CUDA pipeline failed
// BAD-CHIP: chlast-lower-to-cuda: chip must be sm_70 ... sm_90, not 'sm_20'
// RUN: echo 'func.func @f(%%x: tensor<2xf32>) -> tensor<2xf32> { return %%y : tensor<2xf32> }' > %t.bad.mlir
// RUN: not %chlast-compile %t.bad.mlir -o %t.o 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: chlast-compile: {{.*}}bad.mlir:1:{{[0-9]+}}: error: use of undeclared SSA value name
// RUN: test ! -e %t.o

func.func @scale_bias(%x: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %two = arith.constant 2.0 : f32
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<2x8xf32>, tensor<8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    %s = arith.addf %m, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
