// RUN: %chlast-opt --verify-diagnostics --split-input-file --chlast-prepare-gpu-memory %s | FileCheck %s

// Constant globals read by host code are listed for upload to the device
// (chlast-upload-constants); cuDNN specs (chlast.host_only) are read by the
// host only; mutable globals stay in host memory, with a warning;
// memref.copy becomes linalg.copy so that it runs as a kernel.
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @spec : memref<2xi64> = dense<[1, 2]> {chlast.host_only}
memref.global "private" @state : memref<4xf32> = dense<0.0>

// CHECK-LABEL: module attributes {chlast.device_constants = [@weights]}
// CHECK-LABEL: func.func @globals_and_copies
// CHECK: memref.get_global @weights : memref<4xf32>
// CHECK-NEXT: memref.get_global @spec
// CHECK-NEXT: memref.get_global @state
// CHECK-NEXT: linalg.copy ins(%arg0 : memref<4xf32>) outs(%arg1 : memref<4xf32, strided<[1], offset: 2>>)
// CHECK-NOT: gpu.host_register
// CHECK-NOT: memref.copy
func.func @globals_and_copies(%a: memref<4xf32>, %b: memref<4xf32, strided<[1], offset: 2>>) -> (memref<4xf32>, memref<2xi64>, memref<4xf32>) {
  %w = memref.get_global @weights : memref<4xf32>
  %s = memref.get_global @spec : memref<2xi64>
  // expected-warning @+1 {{mutable global stays in host memory}}
  %m = memref.get_global @state : memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32, strided<[1], offset: 2>>
  return %w, %s, %m : memref<4xf32>, memref<2xi64>, memref<4xf32>
}

// -----

// A full reduction into a 0-d buffer gets a unit parallel loop over a unit
// view of its output: a one-thread kernel, not host loops. linalg.index
// dims shift by one.
// CHECK-LABEL: func.func @full_reduction
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[S:.*]]: memref<f32>)
// CHECK: %[[S1:.*]] = memref.expand_shape %[[S]] [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]] : memref<8xf32>) outs(%[[S1]] : memref<1xf32>)
// CHECK: linalg.index 1 : index
// CHECK-NOT: module attributes
func.func @full_reduction(%a: memref<8xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%a : memref<8xf32>) outs(%s : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %p = arith.mulf %x, %f : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// 0-d copies and fills (named ops) are generalized first; a strided
// output keeps its layout in the unit view.
// CHECK-LABEL: func.func @zero_d_ops
// CHECK: %[[V:.*]] = memref.expand_shape %arg1 [] output_shape [1] : memref<f32, strided<[], offset: 3>> into memref<1xf32, strided<[1], offset: 3>>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%arg0 : memref<f32>) outs(%[[V]] : memref<1xf32, strided<[1], offset: 3>>)
// CHECK: %[[F:.*]] = memref.expand_shape %arg0 [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}} : f32) outs(%[[F]] : memref<1xf32>)
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.fill
func.func @zero_d_ops(%a: memref<f32>, %b: memref<f32, strided<[], offset: 3>>) {
  memref.copy %a, %b : memref<f32> to memref<f32, strided<[], offset: 3>>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%a : memref<f32>)
  return
}

// -----

// Ops with a parallel loop, and ops on tensors, are left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: memref.expand_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: linalg.reduce
func.func @left_alone(%a: memref<4x8xf32>, %s: memref<4xf32>, %t: tensor<8xf32>, %u: tensor<f32>) -> tensor<f32> {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x8xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  %r = linalg.reduce ins(%t : tensor<8xf32>) outs(%u : tensor<f32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %y = arith.addf %x, %acc : f32
      linalg.yield %y : f32
    }
  return %r : tensor<f32>
}

// -----

// A sum over the channels of NCDHW (an RMS norm's statistics) has a
// reduction before parallel loops: the parallel loops move first, so all
// of them become threads (before, the kernel ran one thread, or stayed on
// the host).
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4, d1, d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d1, d2, d3)>
// CHECK-LABEL: func.func @reduction_before_parallel
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @reduction_before_parallel(%x: memref<1x8x4x32x32xf32>, %s: memref<1x1x4x32x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d3, d4)>], iterator_types = ["parallel", "reduction", "parallel", "parallel", "parallel"]} ins(%x : memref<1x8x4x32x32xf32>) outs(%s : memref<1x1x4x32x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %sq = arith.mulf %in, %in : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  }
  return
}
