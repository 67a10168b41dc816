//===- UploadConstants.cpp - constants resident on the GPU -------*- C++ -*-===//
//
// `--chlast-upload-constants`, on the LLVM-dialect host module at the end of
// chlast-lower-to-cuda. Every global listed in the module's
// `chlast.device_constants` (by chlast-prepare-gpu-memory: the weights and
// biases the kernels and cuDNN read) is uploaded to device memory once, by
// a global constructor, when the program is loaded; host code then hands
// out the device copy. A global destructor frees the copies.
//
// Before:
//   llvm.mlir.global private constant @w(dense<...> : tensor<8xf32>) : !llvm.array<8 x f32>
//   llvm.func @f(...) { %p = llvm.mlir.addressof @w : !llvm.ptr ... }
// After:
//   llvm.mlir.global internal @w.device() : !llvm.ptr { llvm.mlir.zero ... }
//   llvm.func @f(...) {
//     %slot = llvm.mlir.addressof @w.device : !llvm.ptr
//     %p = llvm.load %slot : !llvm.ptr -> !llvm.ptr ...
//   }
//   llvm.func internal @chlast_upload_constants() {
//     %d = llvm.call @chlast_device_constant(%host_w, %c32) ; store %d -> @w.device
//   }
//   llvm.func internal @chlast_release_constants() {
//     llvm.call @chlast_device_constant_free(load @w.device)
//   }
//   llvm.mlir.global_ctors ctors = [@chlast_upload_constants], ...
//   llvm.mlir.global_dtors dtors = [@chlast_release_constants], ...
//
// `chlast_device_constant(host, bytes) -> device` and
// `chlast_device_constant_free(device)` are runtime functions
// (src/runtime/cuda/driver/abi.rs).
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_UPLOADCONSTANTS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
constexpr const char *kUpload = "chlast_upload_constants";
constexpr const char *kRelease = "chlast_release_constants";

/// The external runtime function `name`, declared once.
LLVM::LLVMFuncOp declare(OpBuilder &builder, ModuleOp module, StringRef name,
                         LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(builder, module.getLoc(), name, type);
}

/// An internal `void()` function with an entry block; the builder is left
/// at its end.
LLVM::LLVMFuncOp defineVoidFunction(OpBuilder &builder, ModuleOp module,
                                    StringRef name) {
  MLIRContext *context = module.getContext();
  builder.setInsertionPointToEnd(module.getBody());
  auto function = LLVM::LLVMFuncOp::create(
      builder, module.getLoc(), name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {}),
      LLVM::Linkage::Internal);
  builder.setInsertionPointToStart(function.addEntryBlock(builder));
  return function;
}

struct UploadConstantsPass
    : public chlast::impl::UploadConstantsBase<UploadConstantsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto listed = module->getAttrOfType<ArrayAttr>("chlast.device_constants");
    if (!listed)
      return;
    module->removeAttr("chlast.device_constants");
    for (Operation &op : *module.getBody()) {
      if (isa<LLVM::GlobalCtorsOp, LLVM::GlobalDtorsOp>(op)) {
        op.emitError("chlast-upload-constants: the module already has global "
                     "constructors or destructors");
        return signalPassFailure();
      }
    }
    MLIRContext *context = &getContext();
    Location loc = module.getLoc();
    OpBuilder builder(context);
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    DataLayout layout = DataLayout::closest(module);
    SymbolTable symbols(module);

    // One pointer slot per constant, filled at load.
    struct Upload {
      LLVM::GlobalOp host, slot;
      uint64_t bytes;
    };
    SmallVector<Upload> uploads;
    for (Attribute name : listed) {
      auto ref = dyn_cast<FlatSymbolRefAttr>(name);
      auto host = ref ? symbols.lookup<LLVM::GlobalOp>(ref.getValue()) : nullptr;
      if (!host || !host.getConstant())
        continue;
      builder.setInsertionPointAfter(host);
      auto slot = LLVM::GlobalOp::create(
          builder, host.getLoc(), ptr, /*isConstant=*/false,
          LLVM::Linkage::Internal, (host.getSymName() + ".device").str(),
          Attribute());
      symbols.insert(slot);
      Block *init = builder.createBlock(&slot.getInitializerRegion());
      builder.setInsertionPointToStart(init);
      LLVM::ReturnOp::create(builder, host.getLoc(),
                             LLVM::ZeroOp::create(builder, host.getLoc(), ptr)
                                 .getResult());
      uploads.push_back(
          {host, slot, layout.getTypeSize(host.getGlobalType()).getFixedValue()});
    }
    if (uploads.empty())
      return;

    // Host code reads the device copy's address from the slot.
    llvm::DenseMap<StringAttr, LLVM::GlobalOp> slotOf;
    for (Upload &u : uploads)
      slotOf[u.host.getSymNameAttr()] = u.slot;
    SmallVector<LLVM::AddressOfOp> uses;
    module.walk([&](LLVM::AddressOfOp address) {
      if (!address->getParentOfType<gpu::GPUModuleOp>() &&
          slotOf.count(address.getGlobalNameAttr().getAttr()))
        uses.push_back(address);
    });
    for (LLVM::AddressOfOp address : uses) {
      builder.setInsertionPoint(address);
      LLVM::GlobalOp slot = slotOf[address.getGlobalNameAttr().getAttr()];
      Value slotAddress = LLVM::AddressOfOp::create(builder, address.getLoc(), slot);
      Value device = LLVM::LoadOp::create(builder, address.getLoc(), ptr, slotAddress);
      address.replaceAllUsesWith(device);
      address.erase();
    }

    auto upload = declare(builder, module, "chlast_device_constant",
                          LLVM::LLVMFunctionType::get(ptr, {ptr, i64}));
    auto release = declare(
        builder, module, "chlast_device_constant_free",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr}));

    defineVoidFunction(builder, module, kUpload);
    for (Upload &u : uploads) {
      Value host = LLVM::AddressOfOp::create(builder, loc, u.host);
      Value bytes = LLVM::ConstantOp::create(
          builder, loc, i64, builder.getI64IntegerAttr(u.bytes));
      Value device =
          LLVM::CallOp::create(builder, loc, upload, ValueRange{host, bytes})
              .getResult();
      LLVM::StoreOp::create(builder, loc, device,
                            LLVM::AddressOfOp::create(builder, loc, u.slot));
    }
    LLVM::ReturnOp::create(builder, loc, ValueRange{});

    defineVoidFunction(builder, module, kRelease);
    for (Upload &u : uploads) {
      Value slot = LLVM::AddressOfOp::create(builder, loc, u.slot);
      Value device = LLVM::LoadOp::create(builder, loc, ptr, slot);
      LLVM::CallOp::create(builder, loc, release, ValueRange{device});
      LLVM::StoreOp::create(builder, loc,
                            LLVM::ZeroOp::create(builder, loc, ptr).getResult(),
                            slot);
    }
    LLVM::ReturnOp::create(builder, loc, ValueRange{});

    builder.setInsertionPointToEnd(module.getBody());
    auto one = [&](StringRef name) {
      return builder.getArrayAttr({FlatSymbolRefAttr::get(context, name)});
    };
    ArrayAttr priority = builder.getArrayAttr({builder.getI32IntegerAttr(0)});
    ArrayAttr data = builder.getArrayAttr({LLVM::ZeroAttr::get(context)});
    LLVM::GlobalCtorsOp::create(builder, loc, one(kUpload), priority, data);
    LLVM::GlobalDtorsOp::create(builder, loc, one(kRelease), priority, data);
  }
};
} // namespace
