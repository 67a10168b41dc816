// RUN: %chlast-opt --split-input-file --verify-diagnostics --chlast-upload-constants %s | FileCheck %s

// Each listed constant gets a device-pointer slot, filled once by a global
// constructor (chlast_device_constant(host, bytes)) and freed by a global
// destructor; host code reads the slot instead of the host global's
// address. Unlisted globals (a cuDNN spec) and kernels are left alone.
// CHECK-LABEL: module {
// CHECK: llvm.mlir.global private constant @w(dense<1.000000e+00> : tensor<2x3xf32>)
// CHECK-NEXT: llvm.mlir.global internal @w.device() {{.*}} : !llvm.ptr {
// CHECK-NEXT: %[[Z:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT: llvm.return %[[Z]] : !llvm.ptr
// CHECK: llvm.mlir.global private constant @b(dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf16>)
// CHECK-NEXT: llvm.mlir.global internal @b.device()
// CHECK: llvm.mlir.global private constant @spec
// CHECK-NOT: @spec.device
// CHECK-LABEL: llvm.func @f()
// CHECK: %[[SLOT:.*]] = llvm.mlir.addressof @w.device : !llvm.ptr
// CHECK-NEXT: %[[W:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @use(%[[W]])
// CHECK: llvm.mlir.addressof @b.device
// CHECK: %[[S:.*]] = llvm.mlir.addressof @spec : !llvm.ptr
// CHECK-NEXT: llvm.call @use(%[[S]])
// CHECK: llvm.func @chlast_device_constant(!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.func @chlast_device_constant_free(!llvm.ptr)
// CHECK-LABEL: llvm.func internal @chlast_upload_constants() {
// CHECK: %[[H:.*]] = llvm.mlir.addressof @w : !llvm.ptr
// CHECK-NEXT: %[[N:.*]] = llvm.mlir.constant(24 : i64) : i64
// CHECK-NEXT: %[[D:.*]] = llvm.call @chlast_device_constant(%[[H]], %[[N]])
// CHECK-NEXT: %[[WS:.*]] = llvm.mlir.addressof @w.device
// CHECK-NEXT: llvm.store %[[D]], %[[WS]]
// CHECK: llvm.mlir.constant(4 : i64) : i64
// CHECK-LABEL: llvm.func internal @chlast_release_constants() {
// CHECK: llvm.call @chlast_device_constant_free
// CHECK: llvm.call @chlast_device_constant_free
// CHECK: llvm.mlir.global_ctors ctors = [@chlast_upload_constants], priorities = [0 : i32]
// CHECK: llvm.mlir.global_dtors dtors = [@chlast_release_constants], priorities = [0 : i32]
module attributes {chlast.device_constants = [@w, @b]} {
  llvm.mlir.global private constant @w(dense<1.0> : tensor<2x3xf32>) {addr_space = 0 : i32} : !llvm.array<2 x array<3 x f32>>
  llvm.mlir.global private constant @b(dense<[1.0, 2.0]> : tensor<2xf16>) {addr_space = 0 : i32} : !llvm.array<2 x f16>
  llvm.mlir.global private constant @spec(dense<[1, 2]> : tensor<2xi64>) {addr_space = 0 : i32} : !llvm.array<2 x i64>
  llvm.func @use(!llvm.ptr)
  llvm.func @f() {
    %w = llvm.mlir.addressof @w : !llvm.ptr
    llvm.call @use(%w) : (!llvm.ptr) -> ()
    %b = llvm.mlir.addressof @b : !llvm.ptr
    llvm.call @use(%b) : (!llvm.ptr) -> ()
    %s = llvm.mlir.addressof @spec : !llvm.ptr
    llvm.call @use(%s) : (!llvm.ptr) -> ()
    llvm.return
  }
}

// -----

// Without listed constants nothing changes (no constructor).
// CHECK-LABEL: llvm.func @no_constants
// CHECK-NOT: global_ctors
llvm.func @no_constants() {
  llvm.return
}

// -----

// A module that already has constructors is refused.
module attributes {chlast.device_constants = [@w]} {
  llvm.mlir.global private constant @w(dense<1.0> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
  llvm.func @init() {
    llvm.return
  }
  // expected-error @+1 {{already has global constructors or destructors}}
  llvm.mlir.global_ctors ctors = [@init], priorities = [0 : i32], data = [#llvm.zero]
}
