//===- GpuMathToPtx.cpp - math in kernels without libdevice -----*- C++ -*-===//
//
// `--chlast-gpu-math-to-ptx`, on each gpu.module before convert-gpu-to-nvvm
// (which would otherwise call libdevice's __nv_* functions, shipped only
// with the CUDA toolkit).
//
// Before:
//   %r = math.rsqrt %v : f32
//   %e = math.exp %x : f32
// After:
//   %s = llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f" %v : (f32) -> f32
//   %r = arith.divf %one, %s : f32
//   %e = ... arith ops of a polynomial approximation (few ulp) ...
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

#include <string>

namespace mlir::chlast {
#define GEN_PASS_DEF_GPUMATHTOPTX
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
/// Math functions rewritten into arith ops by upstream's polynomial
/// approximations.
bool isApproximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"exp", "expm1", "tanh", "erf", "log", "log1p",
                             "log2", "sin", "cos", "atan", "atan2"},
                            name);
}

/// The PTX instruction computing `op` for type suffix `f32`/`f64`, with $0
/// the result and $1.. the operands, or "" when there is none.
std::string ptxFor(Operation *op, StringRef suffix) {
  std::string s = suffix.str();
  return llvm::StringSwitch<std::string>(op->getName().getStringRef())
      .Case("math.sqrt", "sqrt.rn." + s + " $0, $1;")
      .Case("math.rsqrt", "sqrt.rn." + s + " $0, $1;") // then 1 / result
      .Case("math.floor", "cvt.rmi." + s + "." + s + " $0, $1;")
      .Case("math.ceil", "cvt.rpi." + s + "." + s + " $0, $1;")
      .Case("math.trunc", "cvt.rzi." + s + "." + s + " $0, $1;")
      .Case("math.roundeven", "cvt.rni." + s + "." + s + " $0, $1;")
      .Case("math.absf", "abs." + s + " $0, $1;")
      .Case("math.fma", "fma.rn." + s + " $0, $1, $2, $3;")
      .Case("math.copysign", "copysign." + s + " $0, $2, $1;")
      .Default("");
}

/// `x^n` (`math.fpowi`) as products selected by the bits of `|n|`, then
/// `1 / r` when `n < 0`: no loop, no libdevice.
Value expandPowerByBits(math::FPowIOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value x = op.getLhs(), n = op.getRhs();
  Type floatType = x.getType();
  auto intType = cast<IntegerType>(n.getType());
  auto intConstant = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, intType,
                                     b.getIntegerAttr(intType, v));
  };
  Value zero = intConstant(0), one = intConstant(1);
  Value unit = arith::ConstantOp::create(b, loc, floatType,
                                         b.getFloatAttr(floatType, 1.0));
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, n, zero);
  Value exponent = arith::SelectOp::create(
      b, loc, negative, arith::SubIOp::create(b, loc, zero, n), n);
  Value base = x, result = unit;
  for (unsigned bit = 0, width = intType.getWidth(); bit < width; ++bit) {
    Value set = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne,
        arith::AndIOp::create(b, loc, exponent, one), zero);
    result = arith::SelectOp::create(
        b, loc, set, arith::MulFOp::create(b, loc, result, base), result);
    if (bit + 1 < width) {
      base = arith::MulFOp::create(b, loc, base, base);
      exponent = arith::ShRUIOp::create(b, loc, exponent, one);
    }
  }
  Value inverse = arith::DivFOp::create(b, loc, unit, result);
  return arith::SelectOp::create(b, loc, negative, inverse, result);
}

struct GpuMathToPtxPass
    : public chlast::impl::GpuMathToPtxBase<GpuMathToPtxPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    // Powers by constant exponents become multiplies (and square roots).
    {
      RewritePatternSet patterns(&getContext());
      populateMathAlgebraicSimplificationPatterns(patterns);
      if (failed(applyPatternsGreedily(module, std::move(patterns))))
        return signalPassFailure();
    }
    // x^n for a run-time integer n (merged kernels take their constants as
    // arguments): binary exponentiation over n's bits, as compiler-rt's
    // __powisf2 computes it on the CPU, so both targets round alike.
    SmallVector<math::FPowIOp> powers;
    module.walk([&](math::FPowIOp op) {
      if (isa<FloatType>(op.getType()) && isa<IntegerType>(op.getRhs().getType()))
        powers.push_back(op);
    });
    for (math::FPowIOp op : powers)
      op.replaceAllUsesWith(expandPowerByBits(op));
    for (math::FPowIOp op : powers)
      op.erase();

    SmallVector<Operation *> approximated;
    module.walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          isApproximated(op->getName().getStringRef()))
        approximated.push_back(op);
    });
    if (!approximated.empty()) {
      RewritePatternSet patterns(&getContext());
      populateMathPolynomialApproximationPatterns(patterns, isApproximated);
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      if (failed(applyOpPatternsGreedily(approximated, std::move(patterns),
                                         config)))
        return signalPassFailure();
    }

    SmallVector<Operation *> remaining;
    module.walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()))
        remaining.push_back(op);
    });
    for (Operation *op : remaining) {
      Type type = op->getNumResults() == 1 ? op->getResult(0).getType() : Type();
      StringRef suffix = type && type.isF32() ? "f32" : type && type.isF64() ? "f64" : "";
      std::string ptx = suffix.empty() ? "" : ptxFor(op, suffix);
      if (ptx.empty()) {
        op->emitError() << "chlast-lower-to-cuda: '" << op->getName()
                        << "' on " << type
                        << " has no GPU lowering without libdevice";
        return signalPassFailure();
      }
      std::string constraints = suffix == "f32" ? "=f" : "=d";
      for (unsigned i = 0; i < op->getNumOperands(); ++i)
        constraints += suffix == "f32" ? ",f" : ",d";
      OpBuilder builder(op);
      Value result =
          LLVM::InlineAsmOp::create(
              builder, op->getLoc(), type, op->getOperands(), ptx, constraints,
              /*has_side_effects=*/false, /*is_align_stack=*/false,
              LLVM::tailcallkind::TailCallKind::None,
              LLVM::AsmDialectAttr(), ArrayAttr())
              .getResult(0);
      if (isa<math::RsqrtOp>(op)) {
        Value one = arith::ConstantOp::create(builder, op->getLoc(), type,
                                              builder.getFloatAttr(type, 1.0));
        result = arith::DivFOp::create(builder, op->getLoc(), one, result);
      }
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};
} // namespace
