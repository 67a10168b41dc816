//===- PrepareGpuMemory.cpp - host buffers usable by kernels ----*- C++ -*-===//
//
// `--chlast-prepare-gpu-memory`, on bufferized host functions.
//
// Before:
//   %w = memref.get_global @__constant_8xf32 : memref<8xf32>
//   memref.copy %a, %b : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<...>>
// After:
//   %w = memref.get_global @__constant_8xf32 : memref<8xf32>
//   %cast = memref.cast %w : memref<8xf32> to memref<*xf32>
//   gpu.host_register %cast : memref<*xf32>
//   linalg.copy ins(%a : ...) outs(%b : ...)
//
// Copies become linalg ops, hence kernels (a memref.copy would run on the
// host). Constant globals live in host memory; registering them lets kernels
// and cuDNN read them (read-only). Mutable globals are not registered (a
// warning says so). Globals marked `chlast.host_only` (cuDNN specs) are
// only read by the host runtime and are left alone.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_PREPAREGPUMEMORY
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
struct PrepareGpuMemoryPass
    : public chlast::impl::PrepareGpuMemoryBase<PrepareGpuMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<memref::CopyOp> copies;
    SmallVector<memref::GetGlobalOp> globals;
    module.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::GPUModuleOp>())
        return;
      if (auto copy = dyn_cast<memref::CopyOp>(op))
        copies.push_back(copy);
      if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        auto global = symbols.lookup<memref::GlobalOp>(get.getName());
        if (!global || global->hasAttr("chlast.host_only"))
          return;
        if (global.getConstant())
          globals.push_back(get);
        else
          get.emitWarning("mutable global is not registered for the GPU: "
                          "kernels and cuDNN cannot use it");
      }
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
    for (memref::GetGlobalOp get : globals) {
      OpBuilder builder(get->getBlock(), std::next(get->getIterator()));
      auto type = cast<MemRefType>(get.getType());
      auto unranked = UnrankedMemRefType::get(type.getElementType(),
                                              type.getMemorySpace());
      Value cast =
          memref::CastOp::create(builder, get.getLoc(), unranked, get.getResult());
      gpu::HostRegisterOp::create(builder, get.getLoc(), cast);
    }
  }
};
} // namespace
