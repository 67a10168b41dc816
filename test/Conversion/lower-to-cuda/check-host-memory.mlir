// RUN: %chlast-opt --verify-diagnostics --split-input-file --chlast-check-host-memory %s | FileCheck %s

// Host code that only allocates, passes buffers to kernels and cuDNN, and
// reads a cuDNN spec (chlast.host_only) passes unchanged.
// CHECK-LABEL: func.func @passes_buffers_only
module attributes {gpu.container_module} {
memref.global "private" constant @spec : memref<2xi64> = dense<[1, 2]> {chlast.host_only}
// CHECK: gpu.launch_func @kernels::@copy
func.func @passes_buffers_only(%a: memref<4xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.alloc() : memref<4xf32>
  gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %b : memref<4xf32>)
  memref.dealloc %b : memref<4xf32>
  %s = memref.get_global @spec : memref<2xi64>
  %v = memref.load %s[%c0] : memref<2xi64>
  return %v : i64
}
gpu.module @kernels {
  gpu.func @copy(%a: memref<4xf32>, %b: memref<4xf32>) kernel {
    %c0 = arith.constant 0 : index
    %v = memref.load %a[%c0] : memref<4xf32>
    memref.store %v, %b[%c0] : memref<4xf32>
    gpu.return
  }
}
}

// -----

// Reading an argument's contents on the host: an error.
func.func @host_load(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{host code reads or writes device memory}}
  %v = memref.load %a[%c0] : memref<4xf32>
  return %v : f32
}

// -----

// Writing through a view of an allocation: an error.
func.func @host_store_through_view(%x: f32) {
  %c0 = arith.constant 0 : index
  %b = memref.alloc() : memref<2x4xf32>
  %s = memref.subview %b[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
  // expected-error @+1 {{host code reads or writes device memory}}
  memref.store %x, %s[%c0] : memref<4xf32, strided<[1], offset: 4>>
  memref.dealloc %b : memref<2x4xf32>
  return
}

// -----

// A linalg op left outside a kernel (a dynamic shape kept its host loops).
func.func @host_linalg(%a: memref<?xf32>, %b: memref<?xf32>) {
  // expected-error @+1 {{host code reads or writes device memory}}
  linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
  return
}

// -----

// Host stack buffers and used mutable globals live in host memory.
memref.global "private" @state : memref<4xf32> = dense<0.0>
func.func @host_memory() -> (memref<4xf32>, memref<4xf32>) {
  // expected-error @+1 {{a host stack buffer}}
  %a = memref.alloca() : memref<4xf32>
  // expected-error @+1 {{a mutable global lives in host memory}}
  %s = memref.get_global @state : memref<4xf32>
  return %a, %s : memref<4xf32>, memref<4xf32>
}
