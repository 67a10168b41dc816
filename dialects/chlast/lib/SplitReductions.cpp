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
//   %p = linalg.generic {[parallel, parallel, parallel, reduction]}
//          ins(%e) outs(%zeros : tensor<1x8x1x64xf32>) { addf }   // 512 threads x 256
//   (upstream's split gives [parallel, parallel, reduction, parallel]; the
//   loops are interchanged so that all parallel ones form the grid)
//   %s = linalg.generic {[parallel, parallel, parallel, reduction]}
//          ins(%p) outs(%z : tensor<1x8x1xf32>) { addf }           // 8 threads x 64
//
// A reduction over several dims longer than `max-serial` together (a group
// norm in channels-last order reduces H, W and C/G apart) has its largest
// reduction dims made parallel until at most `max-serial` iterations are
// left: partial results per value of those dims (init: the combiner's
// neutral element), then one op combining them into the original init;
// the pass repeats on what that leaves. Reductions with a combiner other
// than one arith op with a neutral element, or a single extent with no
// such divisor, are left alone (the CUDA statistics report their serial
// trip count).
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"
#include "chlast/Reassociation.h"
#include "chlast/Reductions.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
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
  SmallVector<ReassociationIndices> groups =
      chlast::groupsKeeping(type.getRank(), kept);
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

/// Total iterations of `op`'s reduction loops (-1 if dynamic).
int64_t serialOf(linalg::LinalgOp op) {
  SmallVector<unsigned> dims;
  op.getReductionDims(dims);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t serial = 1;
  for (unsigned d : dims) {
    if (ShapedType::isDynamic(ranges[d]))
      return -1;
    serial *= ranges[d];
  }
  return serial;
}

/// Makes the largest reduction dims of `op` parallel until at most
/// `maxSerial` reduction iterations remain: a partial op writes one result
/// per value of those dims (appended to the init's dims, initialised with
/// the combiner's neutral element) and a final op combines them into the
/// original init.
///
///   linalg.generic {[parallel, reduction, parallel, reduction]}
///     ins(tensor<1x4096x8x4xf32>) outs(tensor<1x8xf32>)          // 8 x 16384
/// becomes
///   %p = linalg.generic {[parallel, parallel, parallel, reduction]}
///     ins(tensor<1x4096x8x4xf32>) outs(tensor<1x8x4096xf32>)     // 32768 x 4
///   linalg.generic {[parallel, parallel, reduction]}
///     ins(%p) outs(tensor<1x8xf32>)                               // 8 x 4096
/// (and the final op is split again on the next round).
/// `op` with its loops interchanged so that every parallel loop comes before
/// every reduction loop. The parallel loops nested inside a reduction loop
/// would otherwise run serially in each thread: `convert-linalg-to-parallel-
/// loops` emits the loops in iterator order and only the outermost
/// `scf.parallel` becomes the grid.
void parallelLoopsFirst(RewriterBase &rewriter, Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic)
    return;
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (bool parallel : {true, false})
    for (auto [i, iterator] : llvm::enumerate(iterators))
      if ((iterator == utils::IteratorType::parallel) == parallel)
        order.push_back(i);
  if (llvm::is_sorted(order))
    return;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(generic);
  (void)linalg::interchangeGenericOp(rewriter, generic, order);
}

LogicalResult promoteReductionDims(RewriterBase &rewriter,
                                   linalg::GenericOp op, int64_t maxSerial) {
  if (op->getNumResults() != 1)
    return failure();
  auto split = chlast::splittableCombiner(op);
  auto initType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (!split || !initType)
    return failure();
  Operation *combiner = split->first;
  TypedAttr neutral = split->second;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  int64_t serial = serialOf(op);
  SmallVector<unsigned> order(reductions);
  llvm::stable_sort(order,
                    [&](unsigned a, unsigned b) { return ranges[a] > ranges[b]; });
  SmallVector<unsigned> promoted;
  for (unsigned d : order) {
    if (serial <= maxSerial || promoted.size() + 1 == reductions.size())
      break;
    promoted.push_back(d);
    serial /= ranges[d];
  }
  if (promoted.empty())
    return failure();
  llvm::sort(promoted);

  MLIRContext *context = op.getContext();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> partialShape(initType.getShape());
  for (unsigned d : promoted)
    partialShape.push_back(ranges[d]);
  Type element = initType.getElementType();
  auto partialType = RankedTensorType::get(partialShape, element);
  Value empty = tensor::EmptyOp::create(rewriter, loc, partialShape, element);
  Value identity = arith::ConstantOp::create(rewriter, loc, neutral);
  Value filled =
      linalg::FillOp::create(rewriter, loc, identity, empty).getResult(0);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<AffineExpr> outputs(maps.back().getResults());
  for (unsigned d : promoted)
    outputs.push_back(getAffineDimExpr(d, context));
  maps.back() = AffineMap::get(maps.back().getNumDims(), 0, outputs, context);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d : promoted)
    iterators[d] = utils::IteratorType::parallel;
  auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{partialType},
                                           op.getDpsInputs(), ValueRange{filled},
                                           maps, iterators);
  IRMapping mapping;
  op.getRegion().cloneInto(&partial.getRegion(), mapping);
  parallelLoopsFirst(rewriter, partial);

  int64_t rank = initType.getRank(), extra = promoted.size();
  AffineMap all = AffineMap::getMultiDimIdentityMap(rank + extra, context);
  SmallVector<AffineMap> finalMaps = {all, all.getMajorSubMap(rank)};
  SmallVector<utils::IteratorType> finalIterators(rank,
                                                  utils::IteratorType::parallel);
  finalIterators.append(extra, utils::IteratorType::reduction);
  auto final = linalg::GenericOp::create(
      rewriter, loc, TypeRange{initType}, ValueRange{partial.getResult(0)},
      ValueRange{op.getDpsInits()[0]}, finalMaps, finalIterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        chlast::yieldCombined(b, l, combiner, args);
      });
  rewriter.replaceOp(op, final.getResults());
  return success();
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
    IRRewriter rewriter(&getContext());
    // Each round splits what the last one left (a final op over several
    // promoted dims can still be long); four rounds reach any size here.
    for (int round = 0; round < 4; ++round) {
      SmallVector<linalg::GenericOp> candidates;
      getOperation().walk([&](linalg::GenericOp op) {
        if (op.hasPureTensorSemantics() && !linalg::isaConvolutionOpInterface(op) &&
            serialOf(op) > maxSerial)
          candidates.push_back(op);
      });
      bool changed = false;
      for (linalg::GenericOp op : candidates) {
        if (op.getNumReductionLoops() > 1) {
          changed |= succeeded(promoteReductionDims(rewriter, op, maxSerial));
          continue;
        }
        if (splitFor(op, maxSerial).ratio <= 1)
          continue;
        op = dropConstantOutputDims(rewriter, op);
        rewriter.setInsertionPoint(op);
        // A failure (a combiner without a neutral element, say) leaves the
        // op as it is.
        FailureOr<linalg::SplitReductionResult> split = linalg::splitReduction(
            rewriter, op, [&](linalg::LinalgOp op) {
              return splitFor(op, maxSerial);
            });
        if (succeeded(split)) {
          parallelLoopsFirst(rewriter, split->splitLinalgOp);
          changed = true;
        }
      }
      if (!changed)
        break;
    }
  }
};
} // namespace
