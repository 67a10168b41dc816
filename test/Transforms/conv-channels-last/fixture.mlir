// The torch-mlir fixture (VAE decoder block: conv_in, ResBlock with group
// norm and SiLU, nearest upsample, conv, group norm, conv_out): the only
// runtime conversions left are at the graph boundary, and every weight is
// folded at compile time.
// RUN: %chlast-opt --conv-channels-last %imported/vae_decoder_block2d.torch-mlir.mlir | FileCheck %s
// RUN: %chlast-opt --conv-channels-last %imported/vae_decoder_block2d.torch-mlir.mlir | grep -c chlast.to_layout | FileCheck %s --check-prefix=COUNT
// RUN: %chlast-opt --conv-channels-last %imported/vae_decoder_block2d.torch-mlir.mlir | FileCheck %s --check-prefix=WEIGHTS
// RUN: %chlast-opt --conv-channels-last=stats=- %imported/vae_decoder_block2d.torch-mlir.mlir 2>&1 >/dev/null | FileCheck %s --check-prefix=STATS

// COUNT: {{^}}2{{$}}

// STATS: {"function":"vae_decoder_block2d","convs_found":5,"convs_converted":5,"convs_skipped":[],"runtime_conversions":[{"type":"tensor<1x4x16x16xf32, #chlast.layout<nhwc>>","bytes":4096,"site":"input",{{.*}}},{"type":"tensor<1x3x32x32xf32>","bytes":12288,"site":"output",{{.*}}}],"runtime_conversion_count":2,"runtime_conversion_bytes":16384,"constant_conversions_folded":5}

// No conv weight is left in FCHW.
// WEIGHTS-NOT: x3x3xf32>

// The network input is converted first thing, and nothing else until the
// last conv's result, which is converted right before the return.
// CHECK-LABEL: func.func @vae_decoder_block2d(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x16x16xf32>) -> tensor<1x3x32x32xf32>
// CHECK-NEXT:    %[[XL:.+]] = chlast.to_layout %[[X]] : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         tensor.pad %[[XL]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK-NOT:     chlast.to_layout
// Group norm works on the grouped view of the NHWC conv output.
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x8x1024xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 256]>>
// CHECK-NOT:     chlast.to_layout
// The nearest upsample gathers from the NHWC residual sum.
// CHECK:         tensor.extract %{{.+}}[{{.*}}] : tensor<1x32x16x16xf32, #chlast.layout<nhwc>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         tensor.expand_shape {{.*}} into tensor<1x8x4096xf32, #chlast.layout<[0, 3, 1, 2], view = [1, 8, 4, 1024]>>
// CHECK-NOT:     chlast.to_layout
// CHECK:         %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x3x32x32xf32, #chlast.layout<nhwc>>
// CHECK-NEXT:    %[[R:.+]] = chlast.to_layout %[[Y]] : tensor<1x3x32x32xf32, #chlast.layout<nhwc>> -> tensor<1x3x32x32xf32>
// CHECK-NEXT:    return %[[R]] : tensor<1x3x32x32xf32>
