// RUN: %chlast-opt --split-input-file --verify-diagnostics --chlast-profile-ops %s | FileCheck %s

// Every top-level op that works (a linalg op, a copy, a call) gets a mark
// with its id before it and -1 after it; the labels say what each is.
// CHECK: module attributes {chlast.profile_ops = ["elementwise 8 [exp] @ profile-ops.mlir:{{[0-9]+}}", "copy 8 @ profile-ops.mlir:{{[0-9]+}}", "call @ext @ profile-ops.mlir:{{[0-9]+}}", "fill 8 @ profile-ops.mlir:{{[0-9]+}}"]}
// CHECK: func.func private @chlast_profile_mark(i64)
// CHECK-LABEL: func.func @three_ops
// CHECK: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-NEXT: call @chlast_profile_mark(%[[C0]])
// CHECK-NEXT: linalg.generic
// CHECK: %[[END:.*]] = arith.constant -1 : i64
// CHECK-NEXT: call @chlast_profile_mark(%[[END]])
// CHECK: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @chlast_profile_mark(%[[C1]])
// CHECK-NEXT: memref.copy
// CHECK: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-NEXT: call @chlast_profile_mark(%[[C2]])
// CHECK-NEXT: call @ext
// CHECK: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-NEXT: call @chlast_profile_mark(%[[C3]])
// CHECK-NEXT: linalg.fill
// CHECK-NOT: memref.alloc() {{.*}}chlast_profile_mark
// CHECK: return
func.func private @ext(memref<8xf32>)
func.func @three_ops(%x: memref<8xf32>, %y: memref<8xf32>) {
  %t = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  memref.copy %t, %y : memref<8xf32> to memref<8xf32>
  call @ext(%y) : (memref<8xf32>) -> ()
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%t : memref<8xf32>)
  memref.dealloc %t : memref<8xf32>
  return
}

// -----

// A function of that name with another type is an error, not a clash.
// expected-error @+1 {{chlast-profile-ops: @chlast_profile_mark exists with another type}}
func.func private @chlast_profile_mark(f32)
