//===- MergeGpuModules.cpp - all kernels in one gpu.module ------*- C++ -*-===//
//
// `--chlast-merge-gpu-modules`, right after gpu-kernel-outlining.
//
// Before:
//   gpu.module @f_kernel   { gpu.func @f_kernel(...) kernel {...} }
//   gpu.module @f_kernel_0 { gpu.func @f_kernel(...) kernel {...} }
//   gpu.launch_func @f_kernel::@f_kernel ...
//   gpu.launch_func @f_kernel_0::@f_kernel ...
// After:
//   gpu.module @f_kernel { gpu.func @f_kernel(...) kernel {...}
//                          gpu.func @f_kernel_0(...) kernel {...} }
//   gpu.launch_func @f_kernel::@f_kernel ...
//   gpu.launch_func @f_kernel::@f_kernel_0 ...
//
// One NVPTX compilation and one PTX module instead of one per kernel, and
// identical kernels (same signature and body) compiled once.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"

#include <map>
#include <string>

namespace mlir::chlast {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// The attributes of `kernel` other than its name.
DictionaryAttr attributesButName(gpu::GPUFuncOp kernel) {
  NamedAttrList attributes(kernel->getAttrDictionary());
  attributes.erase(SymbolTable::getSymbolAttrName());
  return attributes.getDictionary(kernel.getContext());
}

/// A cheap key: kernels with different keys are different.
llvm::hash_code shapeKey(gpu::GPUFuncOp kernel) {
  llvm::hash_code key = llvm::hash_value(attributesButName(kernel).getAsOpaquePointer());
  kernel.getBody().walk([&](Operation *op) {
    key = llvm::hash_combine(key, op->getName().getAsOpaquePointer());
  });
  return key;
}

/// Same signature, attributes and body.
bool sameKernel(gpu::GPUFuncOp a, gpu::GPUFuncOp b) {
  return attributesButName(a) == attributesButName(b) &&
         OperationEquivalence::isRegionEquivalentTo(
             &a.getBody(), &b.getBody(),
             OperationEquivalence::Flags::IgnoreLocations);
}

struct MergeGpuModulesPass
    : public chlast::impl::MergeGpuModulesBase<MergeGpuModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.size() < 2)
      return;
    gpu::GPUModuleOp target = gpuModules.front();
    SymbolTable targetSymbols(target);
    // (old module, old kernel) -> kernel name in the target.
    std::map<std::pair<std::string, std::string>, StringAttr> moved;
    // Kernels in the target by shape key, to reuse identical ones (a chain
    // of identical blocks needs each distinct kernel once).
    llvm::DenseMap<llvm::hash_code, SmallVector<gpu::GPUFuncOp>> known;
    for (auto kernel : target.getOps<gpu::GPUFuncOp>())
      if (kernel.isKernel())
        known[shapeKey(kernel)].push_back(kernel);
    for (gpu::GPUModuleOp other : llvm::drop_begin(gpuModules)) {
      if (other.getTargetsAttr() != target.getTargetsAttr())
        continue;
      // Outlining names every kernel after its function: kernels get the
      // (unique) name of their module instead. Other symbols must be new to
      // the target or identical to what it has.
      SmallVector<gpu::GPUFuncOp> kernels;
      SmallVector<Operation *> duplicates;
      bool clash = false;
      for (Operation &op : other.getBody()->getOperations()) {
        auto kernel = dyn_cast<gpu::GPUFuncOp>(&op);
        if (kernel && kernel.isKernel()) {
          kernels.push_back(kernel);
          continue;
        }
        auto symbol = SymbolTable::getSymbolName(&op);
        Operation *existing = symbol ? targetSymbols.lookup(symbol) : nullptr;
        if (!existing)
          continue;
        if (OperationEquivalence::isEquivalentTo(
                &op, existing, OperationEquivalence::Flags::IgnoreLocations))
          duplicates.push_back(&op);
        else
          clash = true;
      }
      auto newName = [&](gpu::GPUFuncOp kernel) {
        return kernels.size() == 1
                   ? other.getName().str()
                   : (other.getName() + "_" + kernel.getName()).str();
      };
      for (gpu::GPUFuncOp kernel : kernels)
        clash |= targetSymbols.lookup(newName(kernel)) != nullptr;
      if (clash)
        continue;
      for (gpu::GPUFuncOp kernel : kernels) {
        std::pair<std::string, std::string> from{other.getName().str(),
                                                 kernel.getName().str()};
        llvm::hash_code key = shapeKey(kernel);
        auto same = llvm::find_if(known[key], [&](gpu::GPUFuncOp candidate) {
          return sameKernel(kernel, candidate);
        });
        if (same != known[key].end()) {
          moved[from] = same->getNameAttr();
          kernel.erase();
          continue;
        }
        std::string name = newName(kernel);
        moved[from] = StringAttr::get(&getContext(), name);
        kernel.setName(name);
        known[key].push_back(kernel);
      }
      for (Operation *op : duplicates)
        op->erase();
      for (Operation &op :
           llvm::make_early_inc_range(other.getBody()->getOperations())) {
        op.remove();
        targetSymbols.insert(&op);
      }
      other.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = moved.find({launch.getKernelModuleName().str(),
                            launch.getKernelName().str()});
      if (it == moved.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};
} // namespace
