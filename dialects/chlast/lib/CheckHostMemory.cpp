//===- CheckHostMemory.cpp - host code never touches device data -*- C++ -*-===//
//
// `--chlast-check-host-memory`, after gpu-kernel-outlining. The CUDA target
// keeps every buffer in device memory and never waits for the GPU inside a
// run, so host code may allocate, free and pass buffers (to kernel launches
// and cuDNN calls) but must not read or write their contents. This pass
// proves that of the lowered host code, or fails with the op that does:
//
//   func.func @f(%a: memref<4xf32>) {
//     %v = memref.load %a[%c0] : memref<4xf32>
//         ^ error: host code reads or writes device memory ...
//
// Allowed: reads of `chlast.host_only` globals (cuDNN specs, read by the
// host runtime). Rejected as well: host stack buffers (`memref.alloca`)
// and mutable globals, which live in host memory that kernels cannot use.
//
//===----------------------------------------------------------------------===//

#include "chlast/Buffers.h"
#include "chlast/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_CHECKHOSTMEMORY
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;
using mlir::chlast::rootOf;

namespace {
struct CheckHostMemoryPass
    : public chlast::impl::CheckHostMemoryBase<CheckHostMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    auto global = [&](Value buffer) -> memref::GlobalOp {
      auto get = rootOf(buffer).getDefiningOp<memref::GetGlobalOp>();
      return get ? symbols.lookup<memref::GlobalOp>(get.getName()) : nullptr;
    };
    bool failed = false;
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::GPUModuleOp>(op))
        return WalkResult::skip();
      if (isa<memref::AllocaOp>(op)) {
        op->emitError("a host stack buffer: the CUDA target keeps buffers in "
                      "device memory (use memref.alloc)");
        failed = true;
        return WalkResult::advance();
      }
      if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        auto g = symbols.lookup<memref::GlobalOp>(get.getName());
        if (g && !g.getConstant() && !g->hasAttr("chlast.host_only") &&
            !get->use_empty()) {
          get.emitError("a mutable global lives in host memory, which "
                        "kernels and cuDNN cannot use");
          failed = true;
        }
        return WalkResult::advance();
      }
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects)
        return WalkResult::advance();
      SmallVector<MemoryEffects::EffectInstance> instances;
      effects.getEffects(instances);
      for (const MemoryEffects::EffectInstance &effect : instances) {
        if (!isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
          continue;
        Value buffer = effect.getValue();
        if (!buffer || !isa<BaseMemRefType>(buffer.getType()))
          continue;
        memref::GlobalOp g = global(buffer);
        if (g && g->hasAttr("chlast.host_only"))
          continue;
        op->emitError("host code reads or writes device memory: the CUDA "
                      "target keeps buffers on the GPU, so this op must be "
                      "part of a kernel");
        failed = true;
        break;
      }
      return WalkResult::advance();
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
