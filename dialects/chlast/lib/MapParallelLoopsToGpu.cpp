//===- MapParallelLoopsToGpu.cpp - scf.parallel to a 1-D grid ---*- C++ -*-===//
//
// `--chlast-map-parallel-loops{block-size=256}`.
//
// Before:
//   scf.parallel (%n, %h, %w, %c) = (0, 0, 0, 0) to (1, 16, 16, 32) step (1, 1, 1, 1) {...}
// After (then `convert-parallel-loops-to-gpu` makes it a launch of 32 x 256):
//   scf.parallel (%b) = (0) to (8192) step (256) {
//     scf.parallel (%t) = (0) to (256) step (1) {
//       scf.if (%b + %t < 8192) { ... delinearized %n, %h, %w, %c ... }
//     } {mapping = [#gpu.loop_dim_map<processor = thread_x, ...>]}
//   } {mapping = [#gpu.loop_dim_map<processor = block_x, ...>]}
//
// Collapsing first keeps every thread busy whatever the innermost extent
// (channels-last tensors often have few channels).
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace mlir::chlast {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPU
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
gpu::ParallelLoopDimMappingAttr mapping(MLIRContext *context,
                                        gpu::Processor processor) {
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, context);
  return gpu::ParallelLoopDimMappingAttr::get(context, processor, identity,
                                              identity);
}

struct MapParallelLoopsToGpuPass
    : public chlast::impl::MapParallelLoopsToGpuBase<MapParallelLoopsToGpuPass> {
  using MapParallelLoopsToGpuBase::MapParallelLoopsToGpuBase;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          !loop->getParentOfType<gpu::LaunchOp>() &&
          !loop->getParentOfType<gpu::GPUModuleOp>())
        outermost.push_back(loop);
    });
    if (blockSize <= 0) {
      Operation *at = outermost.empty() ? getOperation().getOperation()
                                        : outermost.front().getOperation();
      at->emitError() << "chlast-map-parallel-loops: block-size must be "
                         "positive, not "
                      << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    IRRewriter rewriter(context);
    for (scf::ParallelOp loop : outermost) {
      if (loop.getNumLoops() > 1) {
        std::vector<unsigned> all(loop.getNumLoops());
        std::iota(all.begin(), all.end(), 0);
        Operation *next = loop->getNextNode();
        rewriter.setInsertionPoint(loop);
        collapseParallelLoops(rewriter, loop, {all});
        loop = dyn_cast_or_null<scf::ParallelOp>(next->getPrevNode());
        if (!loop) {
          getOperation().emitError("chlast-map-parallel-loops: collapsing a "
                                   "parallel loop did not leave one loop");
          return signalPassFailure();
        }
      }
      auto [blocks, threads] =
          scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
      (void)gpu::setMappingAttr(blocks, {mapping(context, gpu::Processor::BlockX)});
      (void)gpu::setMappingAttr(threads, {mapping(context, gpu::Processor::ThreadX)});
      threads.walk([&](scf::ParallelOp inner) {
        if (inner == threads)
          return;
        SmallVector<gpu::ParallelLoopDimMappingAttr> sequential(
            inner.getNumLoops(), mapping(context, gpu::Processor::Sequential));
        (void)gpu::setMappingAttr(inner, sequential);
      });
    }
  }
};
} // namespace
