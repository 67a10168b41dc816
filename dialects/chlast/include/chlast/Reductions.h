//===- Reductions.h - splitting reductions, shared by chlast passes C++ -*-===//
#ifndef CHLAST_REDUCTIONS_H
#define CHLAST_REDUCTIONS_H

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <utility>

namespace mlir::chlast {
/// The combiner of `op`'s reduction into its only init, when it is one
/// binary op with a neutral element (addf, maximumf, ...), and that
/// element: what lets a reduction be split into partial results
/// initialised with it and a final op combining them.
inline std::optional<std::pair<Operation *, TypedAttr>>
splittableCombiner(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1 || combiners[0]->getNumOperands() != 2)
    return std::nullopt;
  std::optional<TypedAttr> neutral = arith::getNeutralElement(combiners[0]);
  if (!neutral)
    return std::nullopt;
  return std::make_pair(combiners[0], *neutral);
}

/// The body of the final op of a split reduction: yields
/// `combiner(args[0], args[1])` (partial, accumulator). Combiners with a
/// neutral element are commutative.
inline void yieldCombined(OpBuilder &b, Location loc, Operation *combiner,
                          ValueRange args) {
  OperationState state(loc, combiner->getName());
  state.addOperands({args[0], args[1]});
  state.addTypes(args[1].getType());
  state.addAttributes(combiner->getAttrs());
  linalg::YieldOp::create(b, loc, b.create(state)->getResult(0));
}
} // namespace mlir::chlast

#endif // CHLAST_REDUCTIONS_H
