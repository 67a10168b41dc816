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
