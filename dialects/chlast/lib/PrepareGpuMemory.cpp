//===- PrepareGpuMemory.cpp - buffers the GPU can use ------------*- C++ -*-===//
//
// `--chlast-prepare-gpu-memory`, on bufferized host functions, before the
// linalg ops become kernels. The CUDA target keeps every buffer in device
// memory, so host code must never read or write one:
//
// Before:
//   %w = memref.get_global @__constant_8xf32 : memref<8xf32>
//   memref.copy %a, %b : memref<1x4x8x8xf32> to memref<1x4x8x8xf32, strided<...>>
//   linalg.generic {indexing_maps = [(d0) -> (d0), (d0) -> ()],
//                   iterator_types = ["reduction"]}
//       ins(%p : memref<8xf32>) outs(%sum : memref<f32>) {...}
// After (module attribute `chlast.device_constants = [@__constant_8xf32]`):
//   %w = memref.get_global @__constant_8xf32 : memref<8xf32>
//   linalg.copy ins(%a : ...) outs(%b : ...)
//   %sum1 = memref.expand_shape %sum [] output_shape [1] : memref<f32> into memref<1xf32>
//   linalg.generic {indexing_maps = [(d0, d1) -> (d1), (d0, d1) -> (d0)],
//                   iterator_types = ["parallel", "reduction"]}
//       ins(%p : memref<8xf32>) outs(%sum1 : memref<1xf32>) {...}
//
// - Copies become linalg ops, hence kernels (a memref.copy would run on the
//   host).
// - A linalg op without a parallel loop (a 0-d op, the final step of a
//   split reduction) gets a unit parallel loop, so it becomes a kernel of
//   one thread instead of host loops over device memory.
// - A generic's parallel loops are put before its reductions (a sum over
//   channels of NCDHW, `[parallel, reduction, parallel, parallel,
//   parallel]`, becomes `[parallel x 4, reduction]`), so that all of them
//   become the kernel's threads, not only those before the first reduction.
// - Constant globals read by host code (weights, biases) are listed in
//   `chlast.device_constants`: `chlast-upload-constants` uploads each one
//   to the device once, when the program is loaded, and host code passes
//   the device copy to kernels and cuDNN. Globals marked `chlast.host_only`
//   (cuDNN specs) are only read by the host runtime and are left alone;
//   mutable globals cannot live on the device (a warning says so, and
//   `chlast-check-host-memory` rejects a program that reads one on the
//   host).
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_PREPAREGPUMEMORY
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// `memref<AxB...>` -> `memref<1xAxB...>`, a view; null for dynamic shapes.
Value withLeadingUnitDim(OpBuilder &builder, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.hasStaticShape())
    return {};
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < type.getRank(); ++i)
    groups.push_back(i == 0 ? ReassociationIndices{0, 1}
                            : ReassociationIndices{i + 1});
  SmallVector<int64_t> shape{1};
  llvm::append_range(shape, type.getShape());
  if (failed(memref::ExpandShapeOp::computeExpandedType(type, shape, groups)))
    return {};
  return memref::ExpandShapeOp::create(builder, loc, shape, buffer, groups);
}

/// Rebuilds a bufferized generic without parallel loops with a leading unit
/// parallel loop that indexes a leading unit dim of every output.
LogicalResult addUnitParallelLoop(RewriterBase &rewriter,
                                  linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return failure();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inits;
  for (Value init : op.getDpsInits()) {
    Value expanded = withLeadingUnitDim(rewriter, op.getLoc(), init);
    if (!expanded)
      return failure();
    inits.push_back(expanded);
  }
  MLIRContext *context = op.getContext();
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands())
    maps.push_back(op.getMatchingIndexingMap(input).shiftDims(1));
  for (OpOperand &init : op.getDpsInitsMutable())
    maps.push_back(op.getMatchingIndexingMap(&init).shiftDims(1).insertResult(
        getAffineDimExpr(0, context), 0));
  SmallVector<utils::IteratorType> iterators{utils::IteratorType::parallel};
  llvm::append_range(iterators, op.getIteratorTypesArray());
  auto generic = linalg::GenericOp::create(
      rewriter, op.getLoc(), TypeRange{}, op.getDpsInputs(), inits, maps,
      iterators);
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                              generic.getRegion().begin());
  generic.getRegion().walk([&](linalg::IndexOp index) {
    index.setDim(index.getDim() + 1);
  });
  rewriter.eraseOp(op);
  return success();
}

/// Puts the parallel loops of a generic first (in their order), then its
/// reductions: convert-linalg-to-parallel-loops makes the leading parallel
/// loops one scf.parallel, the kernel's threads, and a reduction before a
/// parallel loop would make that loop serial inside each thread (and stop
/// convert-parallel-loops-to-gpu, leaving the op on the host).
void parallelLoopsFirst(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (auto [i, iterator] : llvm::enumerate(iterators))
    if (iterator == utils::IteratorType::parallel)
      order.push_back(i);
  for (auto [i, iterator] : llvm::enumerate(iterators))
    if (iterator != utils::IteratorType::parallel)
      order.push_back(i);
  bool identity = llvm::all_of(llvm::enumerate(order), [](auto pair) {
    return pair.index() == pair.value();
  });
  if (identity)
    return;
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, order);
}

struct PrepareGpuMemoryPass
    : public chlast::impl::PrepareGpuMemoryBase<PrepareGpuMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<memref::CopyOp> copies;
    llvm::SetVector<Attribute> constants;
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
          constants.insert(get.getNameAttr());
        else
          get.emitWarning("mutable global stays in host memory: kernels and "
                          "cuDNN cannot use it");
      }
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
    SmallVector<linalg::LinalgOp> serial;
    module.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::GPUModuleOp>() &&
          op.getNumParallelLoops() == 0 && op.hasPureBufferSemantics())
        serial.push_back(op);
    });
    for (linalg::LinalgOp op : serial) {
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized))
          continue;
        generic = *generalized;
      }
      // A dynamic shape is left alone; chlast-check-host-memory reports it.
      (void)addUnitParallelLoop(rewriter, generic);
    }
    SmallVector<linalg::GenericOp> generics;
    module.walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::GPUModuleOp>() &&
          op.hasPureBufferSemantics())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      parallelLoopsFirst(rewriter, op);
    if (!constants.empty())
      module->setAttr("chlast.device_constants",
                      ArrayAttr::get(&getContext(), constants.getArrayRef()));
  }
};
} // namespace
