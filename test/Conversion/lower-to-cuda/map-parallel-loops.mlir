// RUN: %chlast-opt --split-input-file "--chlast-map-parallel-loops=block-size=128" %s | FileCheck %s
// RUN: not %chlast-opt "--chlast-map-parallel-loops=block-size=0" %s 2>&1 | FileCheck %s --check-prefix=ERR

// A 4-D loop nest becomes one 1-D grid: 8192 iterations in blocks of 128
// threads, the last block guarded, indices recovered by division.
// CHECK-LABEL: func.func @four_dims
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %c32{{.*}} : index
// CHECK: %[[B:.*]] = arith.muli %{{.*}}, %c128 : index
// CHECK: scf.parallel (%[[BI:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[B]]) {
// CHECK:   scf.parallel (%[[TI:.*]]) = (%{{.*}}) to (%[[B]]) step
// CHECK:     arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK:     scf.if
// CHECK:       arith.remsi
// CHECK:       memref.store
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// ERR: error: chlast-map-parallel-loops: block-size must be positive, not 0
func.func @four_dims(%a: memref<1x16x16x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%n, %h, %w, %c) = (%c0, %c0, %c0, %c0) to (%c1, %c16, %c16, %c32) step (%c1, %c1, %c1, %c1) {
    memref.store %f, %a[%n, %h, %w, %c] : memref<1x16x16x32xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop nested in another (a reduction's inner loops stay
// scf.for) runs sequentially inside each thread.
// CHECK-LABEL: func.func @nested
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @nested(%a: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %f, %a[%i, %j] : memref<8x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
