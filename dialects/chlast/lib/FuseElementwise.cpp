//===- FuseElementwise.cpp - elementwise fusion that spares convs -*- C++ -*-===//
//
// `--chlast-fuse-elementwise`.
//
// Before:
//   %t = linalg.transpose ins(%x : tensor<1x4x8x8xf32>) outs(...) permutation = [0, 2, 3, 1]
//   %s = linalg.generic {(n,h,w,c) -> (n,h,w,c)} ins(%t) { silu }
//   %p = linalg.transpose ins(%a : tensor<1x4x10x10xf32>) ... permutation = [0, 2, 3, 1]
//   %y = linalg.conv_2d_nhwc_fhwc ins(%p, %w ...)
// After:
//   %s = linalg.generic {(n,h,w,c) -> (n,c,h,w), (n,h,w,c) -> (n,h,w,c)} ins(%x) { silu }
//   %p = linalg.generic {transpose} ...            (not fused into the conv)
//   %y = linalg.generic {conv, NHWC input map} ins(%p, %w ...)
//
// A cheap producer with several consumers is computed again in each
// (a group norm's centring):
//   %d = generic ins(%x, %mean) { subf }
//   %v = generic ins(%d) { mulf, addf (reduction) }
//   %n = generic ins(%d, %v) { mulf, rsqrt }
// becomes
//   %v = generic ins(%x, %mean) { subf, mulf, addf (reduction) }
//   %n = generic ins(%x, %mean, %v) { subf, mulf, rsqrt }
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
bool isConvolution(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaConvolutionOpInterface(linalgOp);
}

/// Body ops up to which a producer is computed again in every consumer
/// instead of being written once and read back by each.
constexpr int kMaxRecomputedOps = 4;

/// Whether `op` is cheap enough to compute again in each of its consumers:
/// all loops parallel, one result, a few `arith` ops (no `math` function,
/// no index computation), one input as large as the result and at least
/// one smaller (broadcast) input, so that a consumer reading the inputs
/// instead of the result reads no more full-size tensors. A group norm's
/// `x - mean` is one: fused into both the variance reduction and the
/// normalization, the centred tensor is never written. A residual add (two
/// full-size inputs) and a ReLU (no broadcast) are not: each stays one op,
/// which the convolution before it can absorb as its epilogue.
bool isCheapToRecompute(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic->getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 || !generic.hasPureTensorSemantics())
    return false;
  int count = 0;
  for (Operation &bodyOp : generic.getBody()->without_terminator())
    if (!isa<arith::ArithDialect>(bodyOp.getDialect()) ||
        ++count > kMaxRecomputedOps)
      return false;
  int64_t resultElements =
      cast<ShapedType>(generic->getResult(0).getType()).getNumElements();
  int fullSize = llvm::count_if(generic.getDpsInputs(), [&](Value input) {
    auto type = dyn_cast<ShapedType>(input.getType());
    return type && type.hasStaticShape() &&
           type.getNumElements() >= resultElements;
  });
  return fullSize == 1 && generic.getNumDpsInputs() >= 2;
}

/// Whether some operand of `op` has a unit dim read at the constant index 0
/// (PyTorch's `[C, 1, 1]` parameters, keepdim reductions): upstream's
/// reshape propagation needs projected-permutation maps, so these dims are
/// collapsed away first.
bool hasConstantUnitDim(linalg::GenericOp op) {
  for (OpOperand &operand : op->getOpOperands()) {
    ArrayRef<int64_t> shape = op.getStaticOperandShape(&operand);
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [size, expr] : llvm::zip(shape, map.getResults()))
      if (size == 1 && isa<AffineConstantExpr>(expr))
        return true;
  }
  return false;
}

/// Collapses constant-indexed unit dims of every non-conv generic's
/// operands (`tensor<32x1x1xf32>` read as `(d1, 0, 0)` becomes
/// `tensor<32xf32>` read as `(d1)`); loop dims stay, so the op keeps its
/// iteration space and convs are left alone.
LogicalResult dropConstantUnitDims(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  linalg::ControlDropUnitDims options;
  options.controlFn = [](Operation *op) -> SmallVector<unsigned> {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || isConvolution(op) || !hasConstantUnitDim(generic))
      return {};
    // Only loops of extent > 1 are "allowed": upstream then drops no loop
    // and collapses just the constant-indexed operand dims.
    SmallVector<unsigned> loops;
    for (auto [index, size] : llvm::enumerate(generic.getStaticLoopRanges()))
      if (size != 1)
        loops.push_back(index);
    return loops;
  };
  linalg::populateFoldUnitExtentDimsPatterns(patterns, options);
  return applyPatternsGreedily(root, std::move(patterns));
}

struct FuseElementwisePass
    : public chlast::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    if (failed(dropConstantUnitDims(getOperation())))
      return signalPassFailure();
    RewritePatternSet patterns(context);
    // Upstream's linalg-fuse-elementwise-ops, with a control that spares
    // convolutions.
    // A scalar or splat constant operand (an exponent, an epsilon as a 0-d
    // tensor, as importers write them) folds into every body that reads it,
    // however many: the kernels then see a constant (math.fpowi by 2 becomes
    // a multiply on the GPU). So does a producer cheap to recompute.
    // A pad stays where it is (in front of its conv, in the conv's rank):
    // moved above a reshape it would no longer be the conv's padding that
    // chlast-convs-to-cudnn folds into the call.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && !isa<tensor::PadOp>(fused->getOwner()) &&
             !isa<tensor::PadOp>(producer) &&
             (producer->hasOneUse() || isa<arith::ConstantOp>(producer) ||
              isCheapToRecompute(producer)) &&
             !isConvolution(fused->getOwner()) && !isConvolution(producer);
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
