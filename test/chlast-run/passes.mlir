// --passes runs a pass pipeline on FILE before compiling it: the rewrite
// is run without a separate chlast-opt step (as the GPU check does) and
// computes the same outputs; a bad pipeline is one located error, exit 1.

// RUN: %chlast-run %s --passes 'conv-channels-last{cost-model=false stats=%t.json}' --compare %s | FileCheck %s --check-prefix=SAME
// RUN: FileCheck %s --check-prefix=STATS < %t.json
// SAME: result0: tensor<1x8x6x6xf32> max abs error {{.*}}: PASS
// STATS: {"function":"conv","convs_found":1,"convs_converted":1,

// A full builtin.module(...) pipeline is taken as is.
// RUN: %chlast-run %s --passes 'builtin.module(conv-channels-last{strategy=per-conv},chlast-materialize-layouts)' --target cpu-cudnn | FileCheck %s --check-prefix=FULL
// FULL: result0: tensor<1x8x6x6xf32>
// FULL: cuDNN calls run by the CPU reference: 1

// RUN: not %chlast-run %s --passes no-such-pass 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: chlast-run: parsing --passes failed
// BAD: 'no-such-pass' does not refer to a registered pass
// BAD-NOT: panicked

func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
