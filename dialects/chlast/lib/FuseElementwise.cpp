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

struct FuseElementwisePass
    : public chlast::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    // Upstream's linalg-fuse-elementwise-ops, with a control that spares
    // convolutions.
    // A scalar or splat constant operand (an exponent, an epsilon as a 0-d
    // tensor, as importers write them) folds into every body that reads it,
    // however many: the kernels then see a constant (math.fpowi by 2 becomes
    // a multiply on the GPU).
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer &&
             (producer->hasOneUse() || isa<arith::ConstantOp>(producer)) &&
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
