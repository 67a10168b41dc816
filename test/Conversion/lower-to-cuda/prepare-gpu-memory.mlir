// RUN: %chlast-opt --verify-diagnostics --chlast-prepare-gpu-memory %s | FileCheck %s

// Constant globals are registered for the GPU (kernels and cuDNN read them
// through mapped host memory); cuDNN specs (chlast.host_only) are read by
// the host only; mutable globals are not registered, with a warning;
// memref.copy becomes linalg.copy so that it runs as a kernel.
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @spec : memref<2xi64> = dense<[1, 2]> {chlast.host_only}
memref.global "private" @state : memref<4xf32> = dense<0.0>

// CHECK-LABEL: func.func @globals_and_copies
// CHECK: %[[W:.*]] = memref.get_global @weights : memref<4xf32>
// CHECK-NEXT: %[[C:.*]] = memref.cast %[[W]] : memref<4xf32> to memref<*xf32>
// CHECK-NEXT: gpu.host_register %[[C]] : memref<*xf32>
// CHECK-NEXT: memref.get_global @spec
// CHECK-NEXT: memref.get_global @state
// CHECK-NEXT: linalg.copy ins(%arg0 : memref<4xf32>) outs(%arg1 : memref<4xf32, strided<[1], offset: 2>>)
// CHECK-NOT: gpu.host_register
// CHECK-NOT: memref.copy
func.func @globals_and_copies(%a: memref<4xf32>, %b: memref<4xf32, strided<[1], offset: 2>>) -> (memref<4xf32>, memref<2xi64>, memref<4xf32>) {
  %w = memref.get_global @weights : memref<4xf32>
  %s = memref.get_global @spec : memref<2xi64>
  // expected-warning @+1 {{mutable global is not registered for the GPU}}
  %m = memref.get_global @state : memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32, strided<[1], offset: 2>>
  return %w, %s, %m : memref<4xf32>, memref<2xi64>, memref<4xf32>
}
