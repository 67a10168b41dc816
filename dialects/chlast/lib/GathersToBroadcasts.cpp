//===- GathersToBroadcasts.cpp - index-computed reads as maps ---*- C++ -*-===//
//
// `--chlast-gathers-to-broadcasts`: a `linalg.generic` whose body reads a
// tensor with `tensor.extract` at indices computed from loop indices, where
// each index is either a loop index itself or that index divided by an
// integer (nearest-neighbour upsampling, as importers write ONNX Resize and
// PyTorch's `interpolate(mode="nearest")`), becomes a generic that reads
// the tensor through an indexing map over an expanded output: a broadcast,
// which vectorizes and coalesces, instead of a gather.
//
// Before (x2 nearest upsampling of a channels-last tensor):
//   linalg.generic outs(%e : tensor<1x16x16x32xf32>) {
//     %h = linalg.index 2   ...   %hi = floor(sitofp(%h) / 2.0), clamped
//     %v = tensor.extract %x[%c0, %hi, %wi, %c] : tensor<1x8x8x32xf32>
//     linalg.yield %v
//   }
// After:
//   %o = linalg.generic {(n, c, h, i, w, j) -> (n, h, w, c),
//                        (n, c, h, i, w, j) -> (n, h, i, w, j, c)}
//          ins(%x) outs(expand %e : tensor<1x8x2x8x2x32xf32>) { yield %in }
//   tensor.collapse_shape %o : tensor<1x8x2x8x2x32xf32> to tensor<1x16x16x32xf32>
//
// Which function of the loop index an index is, is found by evaluating
// its computation (integer and float arithmetic, casts, floor/ceil, clamps)
// for every value of the index, not by matching one importer's spelling.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::chlast {
#define GEN_PASS_DEF_GATHERSTOBROADCASTS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// Loop extents up to which an index computation is evaluated point by
/// point.
constexpr int64_t kMaxEvaluatedExtent = 1 << 16;

/// A value of the index computation: an integer (index, iN) or a float
/// (rounded to f32 after each f32 op, so that the evaluation rounds as the
/// program does).
struct Scalar {
  bool isFloat = false;
  int64_t integer = 0;
  double real = 0;
};

/// Evaluates the computation of `value` inside a generic's body with loop
/// `dim`'s `linalg.index` equal to `at`; nullopt for anything but a small
/// set of pure scalar ops, constants and that one loop index. `ops`
/// collects the ops it went through.
std::optional<Scalar> evaluate(Value value, unsigned dim, int64_t at,
                               llvm::SetVector<Operation *> &ops) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  Type type = value.getType();
  bool f32 = type.isF32();
  auto roundTo = [&](double x) {
    return f32 ? static_cast<double>(static_cast<float>(x)) : x;
  };
  auto operand = [&](unsigned i) {
    return evaluate(op->getOperand(i), dim, at, ops);
  };
  std::optional<Scalar> result;
  if (auto index = dyn_cast<linalg::IndexOp>(op)) {
    if (index.getDim() != dim)
      return std::nullopt;
    result = Scalar{false, at, 0};
  } else if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    if (auto i = dyn_cast<IntegerAttr>(constant.getValue()))
      result = Scalar{false, i.getValue().getSExtValue(), 0};
    else if (auto f = dyn_cast<FloatAttr>(constant.getValue()))
      result = Scalar{true, 0, f.getValueAsDouble()};
  } else if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
                 arith::TruncIOp>(op)) {
    result = operand(0);
  } else if (isa<arith::SIToFPOp, arith::UIToFPOp>(op)) {
    if (auto x = operand(0); x && !x->isFloat)
      result = Scalar{true, 0, roundTo(static_cast<double>(x->integer))};
  } else if (isa<arith::FPToSIOp, arith::FPToUIOp>(op)) {
    if (auto x = operand(0); x && x->isFloat)
      result = Scalar{false, static_cast<int64_t>(std::trunc(x->real)), 0};
  } else if (isa<math::FloorOp, math::CeilOp, math::RoundOp,
                 math::RoundEvenOp>(op)) {
    if (auto x = operand(0); x && x->isFloat) {
      double r = isa<math::FloorOp>(op)  ? std::floor(x->real)
                 : isa<math::CeilOp>(op) ? std::ceil(x->real)
                 : isa<math::RoundOp>(op)
                     ? std::round(x->real)
                     : std::nearbyint(x->real);
      result = Scalar{true, 0, r};
    }
  } else if (op->getNumOperands() == 2 &&
             isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
                 arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
                 arith::MinNumFOp>(op)) {
    auto a = operand(0), b = operand(1);
    if (a && b && a->isFloat && b->isFloat) {
      double x = a->real, y = b->real, r;
      if (isa<arith::AddFOp>(op))
        r = x + y;
      else if (isa<arith::SubFOp>(op))
        r = x - y;
      else if (isa<arith::MulFOp>(op))
        r = x * y;
      else if (isa<arith::DivFOp>(op))
        r = x / y;
      else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op))
        r = std::max(x, y);
      else
        r = std::min(x, y);
      result = Scalar{true, 0, roundTo(r)};
    }
  } else if (op->getNumOperands() == 2 &&
             isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::DivSIOp,
                 arith::FloorDivSIOp, arith::MaxSIOp, arith::MinSIOp>(op)) {
    auto a = operand(0), b = operand(1);
    if (a && b && !a->isFloat && !b->isFloat) {
      int64_t x = a->integer, y = b->integer, r;
      if (isa<arith::AddIOp>(op))
        r = x + y;
      else if (isa<arith::SubIOp>(op))
        r = x - y;
      else if (isa<arith::MulIOp>(op))
        r = x * y;
      else if (isa<arith::MaxSIOp>(op))
        r = std::max(x, y);
      else if (isa<arith::MinSIOp>(op))
        r = std::min(x, y);
      else if (y == 0)
        return std::nullopt;
      else if (isa<arith::DivSIOp>(op))
        r = x / y;
      else
        r = x / y - ((x % y != 0) && ((x < 0) != (y < 0)));
      result = Scalar{false, r, 0};
    }
  }
  if (result)
    ops.insert(op);
  return result;
}

/// How one index of the extract depends on the loops.
struct IndexFunction {
  /// The loop it is computed from; nullopt for a constant.
  std::optional<unsigned> dim;
  /// index = loop floordiv divisor (1: the loop itself), or the constant.
  int64_t divisor = 1;
  int64_t constant = 0;
};

/// The loop `index` is computed from (its only `linalg.index`), if any.
std::optional<unsigned> loopOf(Value index, bool &other) {
  std::optional<unsigned> dim;
  SmallVector<Value> worklist{index};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val().getDefiningOp();
    if (!op || !seen.insert(op).second)
      continue;
    if (auto loop = dyn_cast<linalg::IndexOp>(op)) {
      if (dim && *dim != loop.getDim())
        other = true;
      dim = loop.getDim();
    }
    llvm::append_range(worklist, op->getOperands());
  }
  return dim;
}

/// The function `index` computes of the loops, or nullopt when it is not a
/// constant, a loop index, or a loop index divided by an integer that
/// divides its extent.
std::optional<IndexFunction> analyze(Value index, ArrayRef<int64_t> extents,
                                     llvm::SetVector<Operation *> &ops) {
  bool several = false;
  std::optional<unsigned> dim = loopOf(index, several);
  if (several)
    return std::nullopt;
  if (!dim) {
    std::optional<Scalar> value = evaluate(index, 0, 0, ops);
    if (!value || value->isFloat)
      return std::nullopt;
    return IndexFunction{std::nullopt, 1, value->integer};
  }
  int64_t extent = extents[*dim];
  if (ShapedType::isDynamic(extent) || extent > kMaxEvaluatedExtent)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (int64_t i = 0; i < extent; ++i) {
    std::optional<Scalar> value = evaluate(index, *dim, i, ops);
    if (!value || value->isFloat)
      return std::nullopt;
    values.push_back(value->integer);
  }
  // The divisor is the length of the first run of equal values.
  int64_t divisor = 1;
  while (divisor < extent && values[divisor] == values[0])
    ++divisor;
  if (extent % divisor != 0)
    return std::nullopt;
  for (int64_t i = 0; i < extent; ++i)
    if (values[i] != i / divisor)
      return std::nullopt;
  return IndexFunction{dim, divisor, 0};
}

/// Rewrites `op` as described in the file header; failure leaves it as it
/// is.
LogicalResult gatherToBroadcast(RewriterBase &rewriter, linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0 || op.hasDynamicShape())
    return rewriter.notifyMatchFailure(op, "not a static parallel generic");
  tensor::ExtractOp extract;
  for (Operation &inner : op.getBody()->without_terminator()) {
    if (auto e = dyn_cast<tensor::ExtractOp>(inner)) {
      if (extract)
        return rewriter.notifyMatchFailure(op, "several extracts");
      extract = e;
    }
  }
  if (!extract || extract.getTensor().getParentBlock() == op.getBody())
    return rewriter.notifyMatchFailure(op, "no extract from outside");
  auto sourceType = cast<RankedTensorType>(extract.getTensor().getType());
  if (!sourceType.hasStaticShape())
    return failure();

  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  llvm::SetVector<Operation *> indexOps;
  SmallVector<IndexFunction> functions;
  for (Value index : extract.getIndices()) {
    std::optional<IndexFunction> function = analyze(index, extents, indexOps);
    if (!function)
      return rewriter.notifyMatchFailure(op, "an index is not i or i / s");
    functions.push_back(*function);
  }
  // Only the body's own ops go with the extract (constants from outside
  // stay).
  indexOps.remove_if(
      [&](Operation *inner) { return inner->getBlock() != op.getBody(); });
  // Each loop used at most once, with one divisor, and some division.
  SmallVector<int64_t> divisor(op.getNumLoops(), 1);
  llvm::SmallDenseSet<unsigned> used;
  bool divides = false;
  for (const IndexFunction &f : functions) {
    if (!f.dim)
      continue;
    if (!used.insert(*f.dim).second)
      return rewriter.notifyMatchFailure(op, "a loop indexes two dims");
    divisor[*f.dim] = f.divisor;
    divides |= f.divisor > 1;
  }
  if (!divides)
    return rewriter.notifyMatchFailure(op, "no upsampling");
  // Nothing else may read a loop index: the loops change.
  for (Operation &inner : op.getBody()->without_terminator())
    if (isa<linalg::IndexOp>(inner) && !indexOps.contains(&inner))
      return rewriter.notifyMatchFailure(op, "other linalg.index uses");
  for (Operation *inner : indexOps)
    for (Operation *user : inner->getUsers())
      if (user != extract.getOperation() && !indexOps.contains(user))
        return rewriter.notifyMatchFailure(op, "index values used elsewhere");
  // Inputs must not read a split loop (their maps would need splitting).
  for (OpOperand *input : op.getDpsInputOperands())
    for (AffineExpr expr : op.getMatchingIndexingMap(input).getResults())
      for (unsigned d = 0; d < op.getNumLoops(); ++d)
        if (divisor[d] > 1 && expr.isFunctionOfDim(d))
          return rewriter.notifyMatchFailure(op, "an input reads a split loop");
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outputMap.isPermutation())
    return rewriter.notifyMatchFailure(op, "output map not a permutation");

  // New loops: each split loop d becomes (d / s, d % s), adjacent.
  MLIRContext *context = op.getContext();
  SmallVector<unsigned> firstNewLoop(op.getNumLoops());
  SmallVector<utils::IteratorType> iterators;
  unsigned count = 0;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    firstNewLoop[d] = count;
    count += divisor[d] > 1 ? 2 : 1;
    iterators.append(divisor[d] > 1 ? 2 : 1, utils::IteratorType::parallel);
  }
  auto outer = [&](unsigned d) {
    return getAffineDimExpr(firstNewLoop[d], context);
  };
  auto remap = [&](AffineMap map) {
    SmallVector<AffineExpr> replacements;
    for (unsigned d = 0; d < op.getNumLoops(); ++d)
      replacements.push_back(outer(d));
    return map.replaceDimsAndSymbols(replacements, {}, count, 0);
  };
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands())
    maps.push_back(remap(op.getMatchingIndexingMap(input)));
  SmallVector<AffineExpr> sourceExprs;
  for (const IndexFunction &f : functions)
    sourceExprs.push_back(f.dim ? outer(*f.dim)
                                : getAffineConstantExpr(f.constant, context));
  maps.push_back(AffineMap::get(count, 0, sourceExprs, context));
  // The output: each split dim expanded to [extent / s, s].
  auto outputType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  SmallVector<AffineExpr> outputExprs;
  SmallVector<int64_t> expandedShape;
  SmallVector<ReassociationIndices> reassociation;
  for (AffineExpr expr : outputMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    ReassociationIndices group{static_cast<int64_t>(expandedShape.size())};
    outputExprs.push_back(outer(d));
    if (divisor[d] > 1) {
      expandedShape.push_back(extents[d] / divisor[d]);
      expandedShape.push_back(divisor[d]);
      group.push_back(expandedShape.size() - 1);
      outputExprs.push_back(getAffineDimExpr(firstNewLoop[d] + 1, context));
    } else {
      expandedShape.push_back(extents[d]);
    }
    reassociation.push_back(group);
  }
  maps.push_back(AffineMap::get(count, 0, outputExprs, context));

  Location loc = op.getLoc();
  auto expandedType =
      RankedTensorType::get(expandedShape, outputType.getElementType());
  Value init = tensor::ExpandShapeOp::create(
      rewriter, loc, expandedType, op.getDpsInits()[0], reassociation);
  SmallVector<Value> inputs(op.getDpsInputs());
  inputs.push_back(extract.getTensor());
  auto generic = linalg::GenericOp::create(rewriter, loc, expandedType,
                                           inputs, ValueRange{init}, maps,
                                           iterators);
  Block *body = rewriter.createBlock(&generic.getRegion());
  IRMapping mapping;
  for (BlockArgument arg : op.getBody()->getArguments().drop_back())
    mapping.map(arg, body->addArgument(arg.getType(), arg.getLoc()));
  BlockArgument element =
      body->addArgument(sourceType.getElementType(), extract.getLoc());
  BlockArgument out = op.getBody()->getArguments().back();
  mapping.map(out, body->addArgument(out.getType(), out.getLoc()));
  mapping.map(extract.getResult(), element);
  rewriter.setInsertionPointToStart(body);
  for (Operation &inner : op.getBody()->getOperations())
    if (&inner != extract.getOperation() && !indexOps.contains(&inner))
      rewriter.clone(inner, mapping);
  rewriter.setInsertionPointAfter(generic);
  rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
      op, outputType, generic.getResult(0), reassociation);
  return success();
}

struct GathersToBroadcastsPass
    : public chlast::impl::GathersToBroadcastsBase<GathersToBroadcastsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) { candidates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      rewriter.setInsertionPoint(op);
      (void)gatherToBroadcast(rewriter, op);
    }
  }
};
} // namespace
