// RUN: %chlast-opt --split-input-file --chlast-merge-gpu-modules %s | FileCheck %s

// Three outlined kernels, two of them identical: one gpu.module remains with
// two kernels, and the launches point into it.
// CHECK-LABEL: func.func @three_launches
// CHECK: gpu.launch_func @f_kernel::@f_kernel
// CHECK: gpu.launch_func @f_kernel::@f_kernel_0
// CHECK: gpu.launch_func @f_kernel::@f_kernel
// CHECK: gpu.module @f_kernel
// CHECK-DAG: gpu.func @f_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK-DAG: gpu.func @f_kernel_0(%{{.*}}: memref<4xf32>) kernel
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @three_launches(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @f_kernel_1::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<4xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %a[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_1 {
    gpu.func @f_kernel(%a: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %a[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// Modules compiled for different targets stay apart.
// CHECK-LABEL: func.func @two_targets
// CHECK: gpu.launch_func @g_kernel::@g_kernel
// CHECK: gpu.launch_func @g_kernel_0::@g_kernel
// CHECK: gpu.module @g_kernel [#nvvm.target<chip = "sm_80">]
// CHECK: gpu.module @g_kernel_0 [#nvvm.target<chip = "sm_90">]
module attributes {gpu.container_module} {
  func.func @two_targets(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @g_kernel::@g_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @g_kernel_0::@g_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @g_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @g_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @g_kernel_0 [#nvvm.target<chip = "sm_90">] {
    gpu.func @g_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
