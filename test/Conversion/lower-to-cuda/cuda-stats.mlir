// RUN: %chlast-opt "--chlast-lower-to-cuda=stats=-" %s -o /dev/null 2>&1 | FileCheck %s

// A full reduction has no parallel loop to map onto a grid: it gets a unit
// one (chlast-prepare-gpu-memory) and runs as a kernel of one thread, since
// host code must not touch device memory. Here the squaring is fused into
// the reduction, and the rank-0 accumulator initialisation and result copy
// have no loops either: three one-thread kernels, no host loop; the zero
// accumulator is a constant uploaded once at load (4 bytes).
// CHECK: {"kernel_launches":3,"linalg_kernels":3,"cudnn_calls":0,"cudnn_channels_first_calls":0,"layout_conversion_kernels":0,"layout_conversion_bytes":0,"interior_layout_conversion_kernels":0,"modelled_hidden_conversion_bytes":0,"convolution_kernels":0,"host_loop_ops":0,"cudnn_fused_epilogues":0,"max_serial_trip_count":16,"kernels_over_4096_serial":0,{{.*}},"device_constants":1,"device_constant_bytes":4,"kernels":[{"op":"linalg.generic","loc":"{{.*}}cuda-stats.mlir:{{[0-9]+}}:{{[0-9]+}}","threads":1,"serial":16,"bytes":68},{{.*}}]}
func.func @sum_of_squares(%a: tensor<16xf32>) -> tensor<f32> {
  %sq = arith.mulf %a, %a : tensor<16xf32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %r = linalg.reduce ins(%sq : tensor<16xf32>) outs(%zero : tensor<f32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<f32>
}
