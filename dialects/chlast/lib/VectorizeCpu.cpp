//===- VectorizeCpu.cpp - the CPU target's kernels as vectors ---*- C++ -*-===//
//
// `--chlast-vectorize-cpu{vector-size=64}`, on bufferized IR, after
// chlast-convs-to-cudnn (so that convolutions, their bias, padding and
// epilogue are already calls): every other static linalg op that upstream's
// vectorizer accepts becomes loops around 1-D vector operations, instead of
// the scalar loops convert-linalg-to-loops would give.
//
//   1. Consecutive loops that every operand indexes as consecutive dims, in
//      order, with the same iterator type, are collapsed into one
//      (linalg::collapseOpIterationDims; only when all operands have
//      identity layouts, so that the collapsed views are contiguous): a
//      channels-last group norm's [N, H, W, G, C/G] elementwise op becomes
//      [N, H*W, G*C/G] where a broadcast operand allows it.
//   2. The vector dim is the loop that is the innermost (contiguous) dim of
//      the most operand elements; it is tiled by the largest divisor of its
//      extent up to `vector-size`, every other loop by 1 (scf.for).
//   3. Each tile is vectorized (linalg::vectorize): vector.transfer_read /
//      transfer_write of vector<1x..xTx..x1>, the body on vectors,
//      vector.multi_reduction for reduction loops; unit dims are then
//      dropped so that the lowering sees 1-D vectors.
//   4. exp, tanh, erf, log and their kin become upstream's f32 polynomial
//      approximations (arith on vectors; libm would be called per lane).
//
// A memref.copy with a strided side (a pad's interior, a slice), which
// would call the runtime's element-by-element memrefCopy, becomes a
// linalg.copy first and is vectorized the same way.
//
// Before:
//   linalg.generic {iterator_types = [parallel, parallel, parallel, parallel]}
//     ins(%x, %b : memref<1x64x64x32xf32>, memref<32xf32>) outs(%y : memref<1x64x64x32xf32>)
// After:
//   scf.for %n, %h, %w {
//     %v = vector.transfer_read %x[%n, %h, %w, 0] : memref<1x64x64x32xf32>, vector<32xf32>
//     %c = vector.transfer_read %b[0] : memref<32xf32>, vector<32xf32>
//     ... arith on vector<32xf32> ...
//     vector.transfer_write %r, %y[%n, %h, %w, 0]
//   }
//
// Left as they are (scalar loops later): convolutions, ops with dynamic
// shapes, 16-bit float ops, bodies the vectorizer refuses (a memref.load gather) or that
// raise to an integer power not known when compiling, and ops
// whose vector dim has no divisor of at least 4 up to `vector-size`.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_VECTORIZECPU
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// Whether `op` is one this pass may rewrite: buffers with static shapes,
/// not a convolution, a body upstream's vectorizer accepts.
bool isCandidate(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || linalg::isaConvolutionOpInterface(op) ||
      op.getNumLoops() == 0 || op.hasDynamicShape())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto shaped = dyn_cast<ShapedType>(operand.get().getType());
    if (shaped && !isa<MemRefType>(shaped))
      return false;
    // x86 has no arithmetic on vectors of 16-bit floats: LLVM promotes
    // them lane by lane through libgcc's __truncsfbf2 / __truncsfhf2, which
    // the JIT does not link. Half and bfloat ops stay scalar loops (whose
    // arithmetic runs in f32, see the CPU pipeline).
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (isa<FloatType>(element) && element.getIntOrFloatBitWidth() < 32)
      return false;
  }
  // LLVM's powi takes a scalar exponent: a vector of exponents would not
  // lower (math-expand-ops turns constant exponents into products first).
  bool powers = false;
  op->walk([&](Operation *inner) {
    powers |= isa<math::FPowIOp, math::IPowIOp>(inner);
  });
  return !powers && succeeded(linalg::vectorizeOpPrecondition(op));
}

/// Groups of consecutive loops that can become one (step 1), or nothing
/// when no group has more than one loop or the op does not allow it.
SmallVector<ReassociationIndices> collapsibleLoops(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()))
    return {};
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return {};
  for (OpOperand &operand : op->getOpOperands())
    if (auto memref = dyn_cast<MemRefType>(operand.get().getType()))
      if (!memref.getLayout().isIdentity())
        return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, e = op.getNumLoops(); d < e; ++d) {
    if (!groups.empty() && iterators[groups.back().back()] == iterators[d]) {
      ReassociationIndices extended = groups.back();
      extended.push_back(d);
      if (linalg::areDimSequencesPreserved(maps, {extended})) {
        groups.back() = std::move(extended);
        continue;
      }
    }
    groups.push_back({d});
  }
  if (groups.size() == static_cast<size_t>(op.getNumLoops()))
    return {};
  return groups;
}

/// The loop that is the innermost dim of the most operand elements (step
/// 2); ties go to the later loop.
unsigned vectorDim(linalg::LinalgOp op) {
  SmallVector<int64_t> score(op.getNumLoops(), 0);
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || type.getRank() == 0)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map.getNumResults() == 0)
      continue;
    if (auto dim = dyn_cast<AffineDimExpr>(map.getResults().back()))
      score[dim.getPosition()] += type.getNumElements();
  }
  unsigned best = op.getNumLoops() - 1;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (score[d] >= score[best] && score[d] > 0)
      best = d;
  return best;
}

/// The largest divisor of `extent` that is at most `limit`.
int64_t largestDivisor(int64_t extent, int64_t limit) {
  for (int64_t t = std::min(extent, limit); t > 1; --t)
    if (extent % t == 0)
      return t;
  return 1;
}

/// Steps 1 to 3 on one op; false when it was left alone.
bool vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                 int64_t vectorSize) {
  rewriter.setInsertionPoint(op);
  SmallVector<ReassociationIndices> groups = collapsibleLoops(op);
  if (!groups.empty()) {
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(op, groups, rewriter);
    if (succeeded(collapsed)) {
      rewriter.eraseOp(op);
      op = collapsed->collapsedOp;
    }
  }
  unsigned dim = vectorDim(op);
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  int64_t tile = largestDivisor(extents[dim], vectorSize);
  if (tile < 4 && tile != extents[dim])
    return false;
  SmallVector<int64_t> tileSizes(op.getNumLoops(), 1);
  tileSizes[dim] = tile == extents[dim] ? 0 : tile;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (d != dim && extents[d] == 1)
      tileSizes[d] = 0;
  linalg::LinalgOp tiled = op;
  if (llvm::any_of(tileSizes, [](int64_t s) { return s != 0; })) {
    linalg::LinalgTilingOptions options;
    options.setTileSizes(tileSizes).setLoopType(
        linalg::LinalgTilingLoopType::Loops);
    FailureOr<linalg::TiledLinalgOp> result =
        linalg::tileLinalgOp(rewriter, op, options);
    if (failed(result))
      return false;
    rewriter.eraseOp(op);
    tiled = result->op;
  }
  rewriter.setInsertionPoint(tiled);
  if (failed(linalg::vectorize(rewriter, tiled)))
    return false;
  rewriter.eraseOp(tiled);
  return true;
}

struct VectorizeCpuPass
    : public chlast::impl::VectorizeCpuBase<VectorizeCpuPass> {
  using VectorizeCpuBase::VectorizeCpuBase;

  void runOnOperation() override {
    if (vectorSize < 1) {
      getOperation()->emitError("chlast-vectorize-cpu: vector-size must be "
                                "at least 1");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    // A copy into or out of a strided view (a pad's interior, a slice)
    // would call the runtime's element-by-element memrefCopy: as a
    // linalg.copy it is vectorized like the rest. Contiguous copies stay
    // (they become memcpy).
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (source && target && source.hasStaticShape() && source.getRank() > 0 &&
          (!source.getLayout().isIdentity() || !target.getLayout().isIdentity()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates)
      vectorizeOp(rewriter, op, vectorSize);

    RewritePatternSet patterns(&getContext());
    // Reads whose vector dims are ordered unlike the memref's (a reduction
    // over H, W of a [N, H, W, C] tensor vectorized along C) become plain
    // reads and a transpose that the unit dims then fold away.
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransferDropUnitDimsPatterns(patterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateDropUnitDimWithShapeCastPatterns(patterns);
    // Canonicalization folds a reduction over a unit dim into arith on
    // vector<1xN>; with the patterns above in the same set, such unit dims
    // go away too.
    for (Dialect *dialect : getContext().getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : getContext().getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    // libm's expf, tanhf, erff... are scalar calls: on vectors, LLVM would
    // call them once per lane. Upstream's polynomial approximations (f32,
    // a few ulp) are arith on the whole vector.
    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(
        approximations, [](StringRef name) {
          return llvm::is_contained(
              {"math.exp", "math.expm1", "math.tanh", "math.erf", "math.log",
               "math.log1p", "math.log2"}, name);
        });
    if (failed(applyPatternsGreedily(getOperation(),
                                     std::move(approximations))))
      return signalPassFailure();
  }
};
} // namespace
