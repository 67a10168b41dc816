// RUN: %chlast-opt "--chlast-lower-to-cuda=chip=sm_90" %s | FileCheck %s
// RUN: %chlast-opt "--chlast-lower-to-cuda=stats=-" %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=ORIGINAL
// RUN: %chlast-opt --conv-channels-last=max-ops-per-conv=0 "--chlast-lower-to-cuda=stats=-" %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHLAST

// End to end: the conv becomes one cuDNN call (its bias folded in), SiLU a
// kernel; host code is LLVM dialect calling the runtime; the constants (the
// weights and the bias) are uploaded once by a global constructor and host
// code reads their device addresses from slots; the kernels are PTX for the
// requested chip in one gpu.binary.
// CHECK-DAG: llvm.mlir.global internal @[[W:__constant_[0-9a-z_]+]].device() {{.*}} : !llvm.ptr
// CHECK-DAG: llvm.mlir.global internal @[[B:__constant_[0-9a-z_]+]].device() {{.*}} : !llvm.ptr
// CHECK-LABEL: llvm.func @conv_bias_silu
// CHECK-NOT: mgpuMemHostRegister
// CHECK: llvm.mlir.addressof @{{__constant_[0-9a-z_]+}}.device
// CHECK-NEXT: llvm.load
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: llvm.call @chlast_cudnn_conv
// CHECK: gpu.launch_func @conv_bias_silu_kernel::@
// CHECK: llvm.call @_mlir_memref_to_llvm_free
// CHECK: gpu.binary @conv_bias_silu_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK-SAME: .version 8.0
// CHECK-SAME: .target sm_90
// CHECK-SAME: .entry conv_bias_silu_kernel
// CHECK-LABEL: llvm.func internal @chlast_upload_constants()
// CHECK-COUNT-2: llvm.call @chlast_device_constant(
// CHECK-NOT: llvm.call
// CHECK: llvm.return
// CHECK-LABEL: llvm.func internal @chlast_release_constants()
// CHECK-COUNT-2: llvm.call @chlast_device_constant_free(
// CHECK: llvm.mlir.global_ctors ctors = [@chlast_upload_constants]
// CHECK: llvm.mlir.global_dtors dtors = [@chlast_release_constants]
// CHECK-NOT: gpu.binary

// As imported, cuDNN gets NCHW tensors: its internal conversions are
// modelled (input 1600 + filter 1152 + output 2048 bytes).
// ORIGINAL: {"kernel_launches":2,"linalg_kernels":2,"cudnn_calls":1,"cudnn_channels_first_calls":1,"layout_conversion_kernels":0,"layout_conversion_bytes":0,"interior_layout_conversion_kernels":0,"modelled_hidden_conversion_bytes":4800,"convolution_kernels":0,"host_loop_ops":0,"cudnn_fused_epilogues":0,{{.*}},"device_constants":2,"device_constant_bytes":1184,{{.*}}}

// After --conv-channels-last: NHWC for cuDNN, the weights converted at
// compile time, the input converted by one kernel at the boundary, the
// output conversion fused into the SiLU kernel.
// CHLAST: {"kernel_launches":3,"linalg_kernels":3,"cudnn_calls":1,"cudnn_channels_first_calls":0,"layout_conversion_kernels":1,"layout_conversion_bytes":3200,"interior_layout_conversion_kernels":0,"modelled_hidden_conversion_bytes":0,"convolution_kernels":0,"host_loop_ops":0,"cudnn_fused_epilogues":0,{{.*}}}

func.func @conv_bias_silu(%x: tensor<1x4x10x10xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<1x8x8x8xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%bb : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c : tensor<1x8x8x8xf32>) outs(%e : tensor<1x8x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %x1 = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %one, %x1 : f32
    %r = arith.divf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x8xf32>
  return %s : tensor<1x8x8x8xf32>
}
