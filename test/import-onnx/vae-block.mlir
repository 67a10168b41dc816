// A VAE-decoder-like block as torch.onnx.export writes it at opset 17: conv,
// group norm (Reshape + InstanceNormalization + Reshape + affine), SiLU,
// conv, residual Add, nearest 2x Resize, Concat, conv. It imports to the
// forms chlast's propagation knows, and chlast-opt converts every conv.

// RUN: %import-python %S/Inputs/make_onnx.py vae_block %t.onnx
// RUN: %import-onnx %t.onnx -o %t.mlir
// RUN: FileCheck %s --implicit-check-not=torch < %t.mlir
// RUN: %chlast-opt --conv-channels-last=stats=- %t.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHLAST

// CHECK-LABEL: func.func @g(
// CHECK-SAME:      %{{.*}}: tensor<1x16x8x8xf32>) -> tensor<1x8x16x16xf32>
// CHECK:         linalg.conv_2d_nchw_fchw
// Group norm: the grouped view, reductions, back to NCHW.
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x8x256xf32>
// CHECK:         math.rsqrt
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x32x8x8xf32>
// CHECK:         linalg.conv_2d_nchw_fchw
// Nearest upsample: a gather with linalg.index and tensor.extract.
// CHECK:         linalg.index
// CHECK:         tensor.extract
// CHECK:         tensor.concat dim(1)
// CHECK-SAME:      -> tensor<1x48x16x16xf32>
// CHECK:         linalg.conv_2d_nchw_fchw
// CHECK-SAME:      -> tensor<1x8x16x16xf32>

// Every conv converted, group norm, upsample and concat followed: the only
// runtime conversions are the input and the result.
// CHLAST: {"function":"g","convs_found":3,"convs_converted":3,"convs_skipped":[],
// CHLAST-SAME: "runtime_conversion_count":2,
