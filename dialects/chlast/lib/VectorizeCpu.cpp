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
//
// Over 600 lines for a reason: one pass whose steps (collapse, tile,
// vectorize, the channels-last group-norm statistics, widening, strided
// copies, polynomial math, threading) run in sequence on the same ops and
// depend on each other's preconditions; each step is a function with its
// own comment.
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"
#include "chlast/Reassociation.h"
#include "chlast/Reductions.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
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
#include "mlir/IR/IRMapping.h"
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

/// Whether the dims of `type` that `map` indexes with the loops of `group`
/// are one contiguous block of memory (always, for an identity layout; for
/// a strided view such as a pad's interior, only where each dim's stride is
/// the next one's extent times its stride).
bool contiguousIn(MemRefType type, AffineMap map,
                  const ReassociationIndices &group) {
  if (!type || type.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  std::optional<unsigned> first =
      map.getResultPosition(getAffineDimExpr(group.front(), map.getContext()));
  if (!first)
    return true;
  for (unsigned i = *first, e = *first + group.size() - 1; i < e; ++i)
    if (ShapedType::isDynamic(strides[i]) ||
        ShapedType::isDynamic(strides[i + 1]) ||
        strides[i] != strides[i + 1] * type.getDimSize(i + 1))
      return false;
  return true;
}

/// Groups of consecutive loops with the same iterator type that every map
/// in `maps` indexes as consecutive results, in order, and that are
/// contiguous in memory in each of `types` (one per map; null for an
/// identity layout or a scalar).
SmallVector<ReassociationIndices>
loopGroups(ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
           ArrayRef<MemRefType> types) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, e = iterators.size(); d < e; ++d) {
    if (!groups.empty() && iterators[groups.back().back()] == iterators[d]) {
      ReassociationIndices extended = groups.back();
      extended.push_back(d);
      if (linalg::areDimSequencesPreserved(maps, {extended}) &&
          llvm::all_of(llvm::zip(types, maps), [&](auto typeAndMap) {
            return contiguousIn(std::get<0>(typeAndMap),
                                std::get<1>(typeAndMap), extended);
          })) {
        groups.back() = std::move(extended);
        continue;
      }
    }
    groups.push_back({d});
  }
  return groups;
}

/// The memref type of each operand of `op`, null where it has none.
SmallVector<MemRefType> operandTypes(linalg::LinalgOp op) {
  SmallVector<MemRefType> types;
  for (OpOperand &operand : op->getOpOperands())
    types.push_back(dyn_cast<MemRefType>(operand.get().getType()));
  return types;
}

/// Whether `op` is a generic on buffers with static strides whose maps are
/// all projected permutations (what collapsing and widening need).
bool isPlainGeneric(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()))
    return false;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return false;
  for (OpOperand &operand : op->getOpOperands())
    if (auto memref = dyn_cast<MemRefType>(operand.get().getType()))
      if (!memref.getLayout().isIdentity() &&
          !memref.isStrided())
        return false;
  return true;
}

/// Groups of consecutive loops that can become one (step 1), or nothing
/// when no group has more than one loop or the op does not allow it.
SmallVector<ReassociationIndices> collapsibleLoops(linalg::LinalgOp op) {
  if (!isPlainGeneric(op))
    return {};
  SmallVector<ReassociationIndices> groups =
      loopGroups(op.getIndexingMapsArray(), op.getIteratorTypesArray(),
                 operandTypes(op));
  if (groups.size() == static_cast<size_t>(op.getNumLoops()))
    return {};
  return groups;
}

/// Step 0, unit dims indexed by a constant dropped: PyTorch's per-channel
/// parameters of shape [C, 1, 1, 1] read through (n, d, h, w, c) ->
/// (c, 0, 0, 0), and keepdim reductions writing [N, G, 1] through
/// (n, g, r) -> (n, g, 0), become rank-reduced views (memref.collapse_shape)
/// read through projected permutations, so that the op can collapse and
/// the vectorizer reads them as plain vectors rather than broadcasts it
/// would unroll lane by lane. Returns the op to continue with.
linalg::LinalgOp dropConstantUnitDims(RewriterBase &rewriter,
                                      linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op.getOperation()) || op->getNumResults() != 0)
    return op;
  MLIRContext *context = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<Value> operands;
  bool changed = false;
  rewriter.setInsertionPoint(op);
  for (OpOperand &operand : op->getOpOperands()) {
    Value value = operand.get();
    AffineMap map = maps[operand.getOperandNumber()];
    auto type = dyn_cast<MemRefType>(value.getType());
    SmallVector<int64_t> kept;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      auto constant = dyn_cast<AffineConstantExpr>(expr);
      if (!constant)
        kept.push_back(i);
      else if (!type || constant.getValue() != 0 || type.getDimSize(i) != 1 ||
               !type.getLayout().isIdentity())
        return op;
    }
    if (!type || kept.size() == map.getNumResults()) {
      operands.push_back(value);
      continue;
    }
    SmallVector<ReassociationIndices> groups =
        chlast::groupsKeeping(type.getRank(), kept);
    SmallVector<AffineExpr> results;
    for (int64_t i : kept)
      results.push_back(map.getResult(i));
    operands.push_back(memref::CollapseShapeOp::create(rewriter, op.getLoc(),
                                                       value, groups));
    maps[operand.getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, results, context);
    changed = true;
  }
  if (!changed)
    return op;
  unsigned inputs = op.getNumDpsInputs();
  auto generic = linalg::GenericOp::create(
      rewriter, op.getLoc(), TypeRange{},
      ArrayRef<Value>(operands).take_front(inputs),
      ArrayRef<Value>(operands).drop_front(inputs), maps,
      op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op->getRegion(0), generic.getRegion(),
                              generic.getRegion().begin());
  rewriter.eraseOp(op);
  return generic;
}

/// Step 0a, broadcast widening. A small broadcast input that reads only
/// part of a group of loops the other operands read contiguously keeps the
/// group from collapsing: a channels-last group norm's
///   ins(%x : [N, HW, G, C/G], %mean : [N, G]) outs([N, HW, G, C/G])
/// would vectorize along C/G alone (2 to 4 lanes). Such an input is copied
/// into a buffer over the whole group ([N, G, C/G], one small generic), so
/// that G and C/G collapse into one vector dim of C lanes. Returns the op
/// to continue with (`op` itself when nothing was widened).
linalg::LinalgOp widenBroadcasts(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!isPlainGeneric(op) || op->getNumResults() != 0)
    return op;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t largest = 0;
  for (OpOperand &operand : op->getOpOperands())
    if (auto type = dyn_cast<MemRefType>(operand.get().getType()))
      largest = std::max(largest, type.getNumElements());
  auto isSmall = [&](OpOperand &operand) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    return type && op.isDpsInput(&operand) && type.getRank() > 0 &&
           type.getNumElements() * 16 <= largest;
  };
  SmallVector<AffineMap> bigMaps;
  SmallVector<MemRefType> types = operandTypes(op), bigTypes;
  for (OpOperand &operand : op->getOpOperands())
    if (!isSmall(operand)) {
      bigMaps.push_back(maps[operand.getOperandNumber()]);
      bigTypes.push_back(types[operand.getOperandNumber()]);
    }
  SmallVector<ReassociationIndices> groups =
      loopGroups(bigMaps, iterators, bigTypes);
  if (groups.size() >= loopGroups(maps, iterators, types).size())
    return op;

  Location loc = op.getLoc();
  MLIRContext *context = op.getContext();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  // First the plan (which inputs, over which loops), then the IR, so that
  // a refused widening leaves nothing behind.
  SmallVector<std::pair<OpOperand *, SmallVector<unsigned>>> plans;
  for (OpOperand *input : op.getDpsInputOperands()) {
    unsigned index = input->getOperandNumber();
    if (!isSmall(*input) ||
        linalg::areDimSequencesPreserved({maps[index]}, groups))
      continue;
    // The widened map: the input's own dims, each followed, where it is
    // the input's last dim of a group, by the loops of that group after
    // it ([N, G] in the group [N, HW, G, C/G] becomes [N, G, C/G]).
    SmallVector<unsigned> used;
    for (AffineExpr expr : maps[index].getResults())
      used.push_back(cast<AffineDimExpr>(expr).getPosition());
    SmallVector<unsigned> dims;
    for (unsigned d : used) {
      dims.push_back(d);
      for (const ReassociationIndices &group : groups) {
        auto at = llvm::find(group, d);
        if (at == group.end() ||
            llvm::any_of(llvm::make_range(std::next(at), group.end()),
                         [&](int64_t m) { return llvm::is_contained(used, m); }))
          continue;
        for (int64_t member : llvm::make_range(std::next(at), group.end()))
          dims.push_back(member);
      }
    }
    if (dims.size() == used.size())
      continue;
    int64_t wideElements = 1;
    for (unsigned d : dims)
      wideElements *= extents[d];
    // Widening must leave a broadcast: a bias over C that the other
    // operands read with H, W and C in one group would become a copy as
    // large as the output (the usual collapse, with C apart, is better).
    if (wideElements * 16 > largest)
      return op;
    plans.push_back({input, std::move(dims)});
  }
  if (plans.empty())
    return op;

  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs(op.getDpsInputs());
  SmallVector<Value> widened;
  for (auto &[input, dims] : plans) {
    unsigned index = input->getOperandNumber();
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> wideResults, copyInput;
    for (unsigned d : dims) {
      shape.push_back(extents[d]);
      wideResults.push_back(getAffineDimExpr(d, context));
    }
    for (AffineExpr expr : maps[index].getResults()) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      copyInput.push_back(getAffineDimExpr(
          llvm::find(dims, d) - dims.begin(), context));
    }
    auto source = cast<MemRefType>(input->get().getType());
    auto wideType = MemRefType::get(shape, source.getElementType());
    Value wide = memref::AllocOp::create(rewriter, loc, wideType);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(dims.size(), context);
    linalg::GenericOp::create(
        rewriter, loc, ValueRange{input->get()}, ValueRange{wide},
        SmallVector<AffineMap>{
            AffineMap::get(dims.size(), 0, copyInput, context), identity},
        SmallVector<utils::IteratorType>(dims.size(),
                                         utils::IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    inputs[index] = wide;
    maps[index] = AffineMap::get(op.getNumLoops(), 0, wideResults, context);
    widened.push_back(wide);
  }
  if (widened.empty())
    return op;
  auto generic = linalg::GenericOp::create(rewriter, loc, TypeRange{}, inputs,
                                           op.getDpsInits(), maps, iterators);
  rewriter.inlineRegionBefore(op->getRegion(0), generic.getRegion(),
                              generic.getRegion().begin());
  rewriter.setInsertionPointAfter(generic);
  for (Value wide : widened)
    memref::DeallocOp::create(rewriter, loc, wide);
  rewriter.eraseOp(op);
  return generic;
}

/// Step 0b, contiguous reductions made parallel. A reduction whose input
/// is contiguous over a mix of parallel and reduction loops, with other
/// reduction loops outside, would vectorize along the few innermost lanes
/// of that mix: a channels-last group norm's statistics
///   ins(%x : [N, HW, G, C/G]) outs([N, G])      reduce HW and C/G
/// The reduction loops among the innermost input dims (at most
/// `vectorSize` elements together) become parallel: partial results
///   [N, G, C/G] = sum over HW (init: the combiner's neutral element)
/// vectorized along G * C/G, then a small op combining the partials into
/// the original output. Returns the ops to vectorize instead of `op`, or
/// nothing when `op` is left as it is.
SmallVector<linalg::LinalgOp>
parallelizeContiguousReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                                int64_t vectorSize) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op->getNumResults() != 0 || op.getNumReductionLoops() < 2)
    return {};
  auto split = chlast::splittableCombiner(generic);
  if (!split)
    return {};
  Operation *combiner = split->first;
  TypedAttr neutral = split->second;
  // The largest input decides which loops are contiguous.
  OpOperand *largest = nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (type && (!largest || type.getNumElements() >
                                 cast<MemRefType>(largest->get().getType())
                                     .getNumElements()))
      largest = input;
  }
  if (!largest)
    return {};
  AffineMap inputMap = op.getMatchingIndexingMap(largest);
  if (!inputMap.isProjectedPermutation(/*allowZeroInResults=*/false))
    return {};
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> promoted;
  int64_t lanes = 1;
  for (AffineExpr expr : llvm::reverse(inputMap.getResults())) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (lanes * extents[d] > vectorSize)
      break;
    lanes *= extents[d];
    if (iterators[d] == utils::IteratorType::reduction && extents[d] > 1)
      promoted.push_back(d);
  }
  unsigned reductions = op.getNumReductionLoops();
  int64_t unitReductions = llvm::count_if(llvm::seq<unsigned>(0, op.getNumLoops()), [&](unsigned d) {
    return iterators[d] == utils::IteratorType::reduction && extents[d] == 1;
  });
  if (promoted.empty() ||
      promoted.size() + unitReductions >= reductions)
    return {};
  llvm::sort(promoted);

  // Partials: the output's dims (constant indices dropped) then the
  // promoted loops.
  MLIRContext *context = op.getContext();
  Location loc = op.getLoc();
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outputMap = op.getMatchingIndexingMap(init);
  auto outputType = dyn_cast<MemRefType>(init->get().getType());
  if (!outputType)
    return {};
  SmallVector<AffineExpr> partialResults;
  SmallVector<int64_t> partialShape;
  for (AffineExpr expr : outputMap.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      partialResults.push_back(expr);
      partialShape.push_back(extents[dim.getPosition()]);
    } else if (!isa<AffineConstantExpr>(expr)) {
      return {};
    }
  }
  for (unsigned d : promoted) {
    partialResults.push_back(getAffineDimExpr(d, context));
    partialShape.push_back(extents[d]);
  }
  rewriter.setInsertionPoint(op);
  auto partialType = MemRefType::get(partialShape, outputType.getElementType());
  Value partialBuffer = memref::AllocOp::create(rewriter, loc, partialType);
  Value identity = arith::ConstantOp::create(rewriter, loc, neutral);
  auto fill = linalg::FillOp::create(rewriter, loc, ValueRange{identity},
                                     ValueRange{partialBuffer});
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps.back() = AffineMap::get(op.getNumLoops(), 0, partialResults, context);
  SmallVector<utils::IteratorType> partialIterators(iterators);
  for (unsigned d : promoted)
    partialIterators[d] = utils::IteratorType::parallel;
  auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{},
                                           op.getDpsInputs(),
                                           ValueRange{partialBuffer}, maps,
                                           partialIterators);
  IRMapping mapping;
  op->getRegion(0).cloneInto(&partial.getRegion(), mapping);
  // Parallel loops first, each kind in the input's dim order, so that the
  // promoted loops sit next to the parallel ones they are contiguous with
  // (G, C/G above) and collapse with them.
  SmallVector<unsigned> order;
  for (bool parallel : {true, false})
    for (AffineExpr expr : inputMap.getResults()) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      if ((partialIterators[d] == utils::IteratorType::parallel) == parallel)
        order.push_back(d);
    }
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (!llvm::is_contained(order, d))
      order.insert(partialIterators[d] == utils::IteratorType::parallel
                       ? order.begin()
                       : order.end(),
                   d);
  if (!llvm::is_sorted(order)) {
    FailureOr<linalg::GenericOp> interchanged =
        linalg::interchangeGenericOp(rewriter, partial, order);
    if (succeeded(interchanged))
      partial = *interchanged;
  }

  // Final: over the partials' dims, the promoted ones reduced, into the
  // original output through its own map.
  unsigned rank = partialShape.size();
  SmallVector<AffineExpr> finalOutput;
  unsigned next = 0;
  for (AffineExpr expr : outputMap.getResults())
    finalOutput.push_back(isa<AffineDimExpr>(expr)
                              ? getAffineDimExpr(next++, context)
                              : expr);
  SmallVector<utils::IteratorType> finalIterators(rank,
                                                  utils::IteratorType::parallel);
  for (unsigned i = next; i < rank; ++i)
    finalIterators[i] = utils::IteratorType::reduction;
  auto final = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{partialBuffer},
      ValueRange{init->get()},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, context),
                             AffineMap::get(rank, 0, finalOutput, context)},
      finalIterators, [&](OpBuilder &b, Location l, ValueRange args) {
        chlast::yieldCombined(b, l, combiner, args);
      });
  memref::DeallocOp::create(rewriter, loc, partialBuffer);
  rewriter.eraseOp(op);
  return {cast<linalg::LinalgOp>(fill.getOperation()),
          cast<linalg::LinalgOp>(partial.getOperation()),
          cast<linalg::LinalgOp>(final.getOperation())};
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
/// `loop` (no iter_args) as an scf.parallel with the same bounds and body.
void makeParallel(RewriterBase &rewriter, scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 0)
    return;
  rewriter.setInsertionPoint(loop);
  auto parallel = scf::ParallelOp::create(
      rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, parallel.getBody()->getTerminator(),
                             parallel.getInductionVars());
  rewriter.eraseOp(loop);
}

bool vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                 int64_t vectorSize, int64_t parallelThreshold) {
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
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
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
    // Step 4: the outermost loop, when over a parallel dim of an op with
    // at least `parallelThreshold` iterations, becomes an scf.parallel
    // (OpenMP threads after convert-scf-to-openmp).
    int64_t total = 1;
    for (int64_t extent : extents)
      total *= extent;
    auto outer = result->loops.empty()
                     ? nullptr
                     : dyn_cast<scf::ForOp>(result->loops.front());
    unsigned outerDim = llvm::find_if(tileSizes, [](int64_t t) {
                          return t != 0;
                        }) - tileSizes.begin();
    if (parallelThreshold > 0 && total >= parallelThreshold && outer &&
        outerDim < iterators.size() &&
        iterators[outerDim] == utils::IteratorType::parallel &&
        extents[outerDim] / tileSizes[outerDim] >= 2)
      makeParallel(rewriter, outer);
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
    // Fills, copies and maps (a pad's border and interior, bufferization's
    // copies) as generics, so that their contiguous dims collapse like any
    // other op's.
    SmallVector<linalg::LinalgOp> named;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isa<linalg::FillOp, linalg::CopyOp, linalg::MapOp>(op.getOperation()) &&
          isCandidate(op))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      SmallVector<linalg::LinalgOp> split =
          parallelizeContiguousReductions(rewriter, op, vectorSize);
      if (split.empty())
        split.push_back(op);
      for (linalg::LinalgOp part : split)
        if (isCandidate(part))
          vectorizeOp(rewriter,
                      widenBroadcasts(rewriter,
                                      dropConstantUnitDims(rewriter, part)),
                      vectorSize, parallelThreshold);
    }

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
