//===- SplitReductions.cpp - reductions the GPU runs in parallel -*- C++ -*-===//
//
// `--chlast-split-reductions{max-serial=256}`, on tensors, before
// bufferization. Every remaining linalg op becomes one kernel whose threads
// are its parallel iterations; each thread runs the reduction loops
// serially. A group norm's statistics over [N, G, C/G * H * W] would give
// N * G threads looping C/G * H * W times each (16384 in the SD VAE
// decoder of the corpus). A reduction over one dim longer than
// `max-serial` is split (upstream's linalg::splitReduction, inner-parallel
// so that neighbouring threads read neighbouring elements) into P partial
// reductions and a final reduction over P: P is the smallest divisor of the
// extent that leaves at most `max-serial` iterations per thread, and the
// final one loops P times.
//
// Before:
//   %s = linalg.generic {iterator_types = [parallel, parallel, reduction]}
//          ins(%x : tensor<1x8x16384xf32>) outs(%z : tensor<1x8x1xf32>) { addf }
// After (P = 64):
//   %e = tensor.expand_shape %x ... into tensor<1x8x256x64xf32>
//   %p = linalg.generic {[parallel, parallel, reduction, parallel]}
//          ins(%e) outs(%zeros : tensor<1x8x1x64xf32>) { addf }   // 512 threads x 256
//   %s = linalg.generic {[parallel, parallel, parallel, reduction]}
//          ins(%p) outs(%z : tensor<1x8x1xf32>) { addf }           // 8 threads x 64
//
// Reductions over several dims, with a combiner upstream does not
// recognise, or whose extent has no such divisor are left alone (the CUDA
// statistics report their serial trip count).
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// The split of `op`'s reduction, or ratio 0 (none).
linalg::SplitReductionOptions splitFor(linalg::LinalgOp op, int64_t maxSerial) {
  SmallVector<unsigned> dims;
  op.getReductionDims(dims);
  if (dims.size() != 1 || op.getNumDpsInits() != 1 ||
      linalg::isaConvolutionOpInterface(op))
    return {};
  int64_t extent = op.getStaticLoopRanges()[dims[0]];
  if (ShapedType::isDynamic(extent) || extent <= maxSerial)
    return {};
  for (int64_t parts = 2; parts <= maxSerial && parts < extent; ++parts)
    if (extent % parts == 0 && extent / parts <= maxSerial) {
      auto init = cast<ShapedType>(op.getDpsInits()[0].getType());
      return {parts, static_cast<unsigned>(init.getRank()),
              /*innerParallel=*/true};
    }
  return {};
}

/// `op` with the unit dims that its output map indexes with the constant 0
/// dropped from its init and result (a collapse_shape before, an
/// expand_shape after): torch-mlir's keepdim reductions write
/// [N, G, 1] through (d0, d1, 0), which upstream's splitReduction
/// mishandles (it reads the constant as a dim).
///
///   outs(%z : tensor<2x1x1xf32>) {(d0, d1, d2) -> (d0, d1, 0)}
/// becomes
///   %c = tensor.collapse_shape %z [[0], [1, 2]] : ... into tensor<2x1xf32>
///   %r = linalg.generic ... outs(%c) {(d0, d1, d2) -> (d0, d1)}
///   %e = tensor.expand_shape %r [[0], [1, 2]] ... into tensor<2x1x1xf32>
linalg::GenericOp dropConstantOutputDims(RewriterBase &rewriter,
                                         linalg::GenericOp op) {
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap map = op.getMatchingIndexingMap(init);
  auto type = dyn_cast<RankedTensorType>(init->get().getType());
  if (!type || op->getNumResults() != 1)
    return op;
  SmallVector<int64_t> kept;
  SmallVector<AffineExpr> exprs;
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      if (constant.getValue() != 0 || type.getDimSize(i) != 1)
        return op;
      continue;
    }
    kept.push_back(i);
    exprs.push_back(expr);
  }
  if (kept.size() == map.getNumResults())
    return op;
  // Each dropped dim joins the group of the next kept dim (or the last).
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    pending.push_back(i);
    if (llvm::is_contained(kept, i)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  SmallVector<int64_t> shape;
  for (int64_t i : kept)
    shape.push_back(type.getDimSize(i));
  auto collapsedType = RankedTensorType::get(shape, type.getElementType());
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value collapsed = tensor::CollapseShapeOp::create(rewriter, loc, collapsedType,
                                                    init->get(), groups);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps.back() = AffineMap::get(map.getNumDims(), 0, exprs, op.getContext());
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{collapsedType}, op.getDpsInputs(),
      ValueRange{collapsed}, maps, op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                              generic.getRegion().begin());
  Value expanded = tensor::ExpandShapeOp::create(rewriter, loc, type,
                                                 generic.getResult(0), groups);
  rewriter.replaceOp(op, expanded);
  return generic;
}

struct SplitReductionsPass
    : public chlast::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  void runOnOperation() override {
    if (maxSerial < 2) {
      getOperation().emitError()
          << "chlast-split-reductions: max-serial must be at least 2";
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && splitFor(op, maxSerial).ratio > 1)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        op = dropConstantOutputDims(rewriter, generic);
      rewriter.setInsertionPoint(op);
      // A failure (a combiner without a neutral element, say) leaves the
      // op as it is.
      (void)linalg::splitReduction(rewriter, op, [&](linalg::LinalgOp op) {
        return splitFor(op, maxSerial);
      });
    }
  }
};
} // namespace
