//===- ProfileOps.cpp - timing marks around top-level ops -------*- C++ -*-===//
//
// `--chlast-profile-ops`: on bufferized IR, a call to
// `chlast_profile_mark(id)` before every op of a function body that does
// work and `chlast_profile_mark(-1)` after it, with one label per id in the
// module attribute `chlast.profile_ops`.
//
// Before:
//   linalg.generic {...} ins(%x : memref<1x8x8x32xf32>) outs(%y) { exp }
// After:
//   call @chlast_profile_mark(%c3) : (i64) -> ()
//   linalg.generic {...} ins(%x : memref<1x8x8x32xf32>) outs(%y) { exp }
//   call @chlast_profile_mark(%c-1) : (i64) -> ()
//
// The marks are calls to an external function, so no later pass moves work
// across them: whatever the op becomes (vector loops, a oneDNN call,
// threads), its time is what lies between its two marks.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_PROFILEOPS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
constexpr StringLiteral kMarkFunction = "chlast_profile_mark";
constexpr StringLiteral kLabelsAttr = "chlast.profile_ops";

/// Whether `op` is one the profile times: it computes or moves data.
bool doesWork(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return call.getCallee() != kMarkFunction;
  return isa<linalg::LinalgOp, memref::CopyOp, scf::ForOp, scf::ParallelOp>(
      op);
}

/// `loc` in a few words: a name, a file:line, or the first of a fused
/// location with the count of the others.
void printShortLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    os << name.getName().getValue();
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    os << llvm::sys::path::filename(file.getFilename().getValue()) << ":"
       << file.getLine();
  } else if (auto fused = dyn_cast<FusedLoc>(loc)) {
    ArrayRef<Location> parts = fused.getLocations();
    if (parts.empty()) {
      os << "?";
      return;
    }
    printShortLocation(parts.front(), os);
    if (parts.size() > 1)
      os << " (+" << parts.size() - 1 << ")";
  } else if (auto callSite = dyn_cast<CallSiteLoc>(loc)) {
    printShortLocation(callSite.getCallee(), os);
  } else {
    os << "?";
  }
}

/// What `op` is, its iteration space or shape, the operations of its body
/// and where it came from, e.g.
///   "elementwise 1x8x8x32 [subf mulf exp] @ /decoder/mid_block/Add".
std::string label(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto call = dyn_cast<func::CallOp>(op)) {
    os << "call @" << call.getCallee();
  } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    os << "copy ";
    llvm::interleave(cast<MemRefType>(copy.getSource().getType()).getShape(),
                     os, "x");
  } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (isa<linalg::GenericOp>(op)) {
      os << (linalgOp.getNumReductionLoops() ? "reduction" : "elementwise");
      bool gathers = false;
      op->walk([&](Operation *inner) {
        gathers |= isa<linalg::IndexOp, memref::LoadOp>(inner);
      });
      if (gathers)
        os << "+index";
    } else {
      os << op->getName().stripDialect();
    }
    os << " ";
    llvm::interleave(linalgOp.getStaticLoopRanges(), os, "x");
    llvm::SetVector<StringRef> bodyOps;
    for (Operation &inner : linalgOp.getBlock()->without_terminator())
      bodyOps.insert(inner.getName().stripDialect());
    if (!bodyOps.empty() && isa<linalg::GenericOp>(op)) {
      os << " [";
      llvm::interleave(bodyOps, os, " ");
      os << "]";
    }
  } else {
    os << op->getName().getStringRef();
  }
  os << " @ ";
  printShortLocation(op->getLoc(), os);
  return text;
}

struct ProfileOpsPass : public chlast::impl::ProfileOpsBase<ProfileOpsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    OpBuilder builder(context);
    Type i64 = builder.getI64Type();
    auto markType = builder.getFunctionType({i64}, {});
    if (auto existing = module.lookupSymbol<func::FuncOp>(kMarkFunction)) {
      if (existing.getFunctionType() != markType) {
        existing.emitError("chlast-profile-ops: @") << kMarkFunction
            << " exists with another type";
        return signalPassFailure();
      }
    } else {
      builder.setInsertionPointToStart(module.getBody());
      auto declaration = func::FuncOp::create(builder, module.getLoc(),
                                              kMarkFunction, markType);
      declaration.setPrivate();
    }

    SmallVector<Attribute> labels;
    if (auto previous = module->getAttrOfType<ArrayAttr>(kLabelsAttr))
      llvm::append_range(labels, previous.getValue());
    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      SmallVector<Operation *> timed;
      for (Operation &op : function.getBody().front())
        if (doesWork(&op))
          timed.push_back(&op);
      for (Operation *op : timed) {
        Location loc = op->getLoc();
        builder.setInsertionPoint(op);
        Value id = arith::ConstantIntOp::create(builder, loc,
                                                static_cast<int64_t>(labels.size()), 64);
        func::CallOp::create(builder, loc, kMarkFunction, TypeRange{},
                             ValueRange{id});
        builder.setInsertionPointAfter(op);
        Value end = arith::ConstantIntOp::create(builder, loc, -1, 64);
        func::CallOp::create(builder, loc, kMarkFunction, TypeRange{},
                             ValueRange{end});
        labels.push_back(builder.getStringAttr(label(op)));
      }
    }
    module->setAttr(kLabelsAttr, builder.getArrayAttr(labels));
  }
};
} // namespace
