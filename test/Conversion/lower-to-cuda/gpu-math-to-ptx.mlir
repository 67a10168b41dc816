// RUN: %chlast-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(gpu.module(chlast-gpu-math-to-ptx))' %s | FileCheck %s

// Math in kernels without libdevice: single PTX instructions for sqrt,
// floor and ceil (rsqrt = 1 / correctly rounded sqrt); exp and tanh by
// polynomial approximations (arith, PTX fma and cvt).
// CHECK-LABEL: gpu.func @math
// CHECK: %[[R:.*]] = llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f" %{{.*}} : (f32) -> f32
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[R]] : f32
// CHECK-NEXT: %[[S:.*]] = llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f" %[[INV]]
// CHECK-NEXT: %[[F:.*]] = llvm.inline_asm "cvt.rmi.f32.f32 $0, $1;", "=f,f" %[[S]]
// CHECK-NEXT: llvm.inline_asm "cvt.rpi.f32.f32 $0, $1;", "=f,f" %[[F]]
// CHECK: llvm.inline_asm "fma.rn.f32 $0, $1, $2, $3;", "=f,f,f,f"
// CHECK-NOT: math.
// CHECK: gpu.return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @math(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      %r = math.rsqrt %v : f32
      %s = math.sqrt %r : f32
      %f = math.floor %s : f32
      %c = math.ceil %f : f32
      %e = math.exp %c : f32
      %t = math.tanh %e : f32
      %n = math.sin %t : f32
      memref.store %n, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}

// -----

// f64 gets the f64 instructions.
// CHECK-LABEL: gpu.func @double
// CHECK: llvm.inline_asm "sqrt.rn.f64 $0, $1;", "=d,d"
// CHECK: llvm.inline_asm "abs.f64 $0, $1;", "=d,d"
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @double(%a: memref<8xf64>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf64>
      %s = math.sqrt %v : f64
      %b = math.absf %s : f64
      memref.store %b, %a[%c0] : memref<8xf64>
      gpu.return
    }
  }
}

// -----

// A math op with neither an approximation nor a PTX instruction is an
// error naming it (convert-gpu-to-nvvm would call libdevice, which only
// the CUDA toolkit has).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @power(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      // expected-error @+1 {{'math.powf' on 'f32' has no GPU lowering without libdevice}}
      %p = math.powf %v, %v : f32
      memref.store %p, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}

// -----

// Powers by a constant exponent (an RMS norm's square, as importers write
// it) become multiplies: no libdevice needed.
// CHECK-LABEL: gpu.func @square
// CHECK: %[[V:.*]] = memref.load
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[V]], %[[V]] : f32
// CHECK-NEXT: memref.store %[[S]]
// CHECK-NOT: math.fpowi
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @square(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %two = arith.constant 2 : i64
      %v = memref.load %a[%c0] : memref<8xf32>
      %p = math.fpowi %v, %two : f32, i64
      memref.store %p, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}

// -----

// A run-time exponent (merged kernels take their constants as arguments):
// products selected by the exponent's bits, the reciprocal when negative.
// CHECK-LABEL: gpu.func @power_by_argument
// CHECK: arith.cmpi slt
// CHECK: arith.andi
// CHECK: arith.mulf
// CHECK: arith.shrui
// CHECK: arith.divf
// CHECK-NOT: math.fpowi
// CHECK: gpu.return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @power_by_argument(%a: memref<8xf32>, %n: i32) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      %p = math.fpowi %v, %n : f32, i32
      memref.store %p, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}
