//===- CAPI.cpp - C API of the chlast dialect -------------------*- C++ -*-===//

#include "chlast-c/Chlast.h"
#include "chlast/ChlastDialect.h"
#include "chlast/Passes.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

extern "C" {
MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Chlast, chlast, chlast::ChlastDialect)
}

extern "C" MlirAttribute chlastLayoutAttrGetWithView(MlirContext ctx,
                                                     intptr_t rank,
                                                     const int64_t *perm,
                                                     intptr_t viewRank,
                                                     const int64_t *view) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<chlast::ChlastDialect>();
  ArrayRef<int64_t> dims(perm, rank);
  ArrayRef<int64_t> viewDims(view, viewRank);
  // Verify quietly: a bad layout is reported to the caller as null.
  ScopedDiagnosticHandler quiet(context, [](Diagnostic &) { return success(); });
  if (failed(chlast::LayoutAttr::verify(
          [&] { return emitError(UnknownLoc::get(context)); }, dims, viewDims)))
    return MlirAttribute{nullptr};
  return wrap(chlast::LayoutAttr::get(context, dims, viewDims));
}

extern "C" bool chlastLayoutViewGroupEnds(intptr_t rank, const int64_t *shape,
                                          intptr_t viewRank,
                                          const int64_t *view,
                                          int64_t *groupEnds) {
  FailureOr<SmallVector<int64_t>> ends = chlast::LayoutAttr::viewGroupEnds(
      ArrayRef<int64_t>(shape, rank), ArrayRef<int64_t>(view, viewRank));
  if (failed(ends))
    return false;
  llvm::copy(*ends, groupEnds);
  return true;
}

extern "C" MlirAttribute chlastLayoutAttrGet(MlirContext ctx, intptr_t rank,
                                             const int64_t *perm) {
  return chlastLayoutAttrGetWithView(ctx, rank, perm, 0, nullptr);
}

extern "C" intptr_t chlastLayoutAttrGetViewRank(MlirAttribute attr) {
  return cast<chlast::LayoutAttr>(unwrap(attr)).getView().size();
}

extern "C" int64_t chlastLayoutAttrGetViewDim(MlirAttribute attr,
                                              intptr_t pos) {
  return cast<chlast::LayoutAttr>(unwrap(attr)).getView()[pos];
}

extern "C" MlirAttribute chlastRetypeElementsAttr(MlirAttribute value,
                                                  MlirType type) {
  return wrap(chlast::retypeConstant(unwrap(value),
                                     cast<RankedTensorType>(unwrap(type))));
}

extern "C" void chlastEmitRemark(MlirLocation loc, MlirStringRef message) {
  emitRemark(unwrap(loc)) << unwrap(message);
}

extern "C" void chlastEmitWarning(MlirLocation loc, MlirStringRef message) {
  emitWarning(unwrap(loc)) << unwrap(message);
}

extern "C" bool chlastAttributeIsALayout(MlirAttribute attr) {
  return isa<chlast::LayoutAttr>(unwrap(attr));
}

extern "C" intptr_t chlastLayoutAttrGetRank(MlirAttribute attr) {
  return cast<chlast::LayoutAttr>(unwrap(attr)).getPerm().size();
}

extern "C" int64_t chlastLayoutAttrGetDim(MlirAttribute attr, intptr_t pos) {
  return cast<chlast::LayoutAttr>(unwrap(attr)).getPerm()[pos];
}

extern "C" int chlastOptMain(int argc, char **argv, const char *version) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR inside a pass.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<chlast::ChlastDialect>();
  registerAllPasses();
  chlastRegisterPasses();
  std::string versionText = version;
  llvm::cl::AddExtraVersionPrinter([versionText](llvm::raw_ostream &os) {
    os << "chlast version " << versionText << "\n";
  });
  return asMainReturnCode(MlirOptMain(
      argc, argv,
      "chlast optimizer driver: upstream MLIR passes plus chlast's "
      "channels-last layout passes\n",
      registry));
}

extern "C" bool chlastIsLinalgOp(MlirOperation op) {
  return isa<linalg::LinalgOp>(unwrap(op));
}

extern "C" intptr_t chlastLinalgGetNumLoops(MlirOperation op) {
  return cast<linalg::LinalgOp>(unwrap(op)).getNumLoops();
}

extern "C" ChlastOpClass chlastClassifyOp(MlirOperation raw) {
  Operation *op = unwrap(raw);
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (isa<linalg::FillOp>(op))
      return CHLAST_OP_FILL;
    return linalg::isaConvolutionOpInterface(linalgOp) ? CHLAST_OP_CONVOLUTION
                                                       : CHLAST_OP_LINALG;
  }
  if (isa<arith::ConstantOp>(op))
    return CHLAST_OP_CONSTANT;
  if (isa<affine::AffineApplyOp>(op) ||
      (isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
       isMemoryEffectFree(op)))
    return CHLAST_OP_PURE_ARITHMETIC;
  return TypeSwitch<Operation *, ChlastOpClass>(op)
      .Case([](func::FuncOp) { return CHLAST_OP_FUNC; })
      .Case([](func::ReturnOp) { return CHLAST_OP_RETURN; })
      .Case([](tensor::EmptyOp) { return CHLAST_OP_EMPTY; })
      .Case([](tensor::ExtractOp) { return CHLAST_OP_EXTRACT; })
      .Case([](tensor::PadOp) { return CHLAST_OP_PAD; })
      .Case([](tensor::ConcatOp) { return CHLAST_OP_CONCAT; })
      .Case([](tensor::ExtractSliceOp) { return CHLAST_OP_EXTRACT_SLICE; })
      .Case([](tensor::InsertSliceOp) { return CHLAST_OP_INSERT_SLICE; })
      .Case([](tensor::ExpandShapeOp) { return CHLAST_OP_EXPAND_SHAPE; })
      .Case([](tensor::CollapseShapeOp) { return CHLAST_OP_COLLAPSE_SHAPE; })
      .Case([](linalg::IndexOp) { return CHLAST_OP_LINALG_INDEX; })
      .Default([](Operation *) { return CHLAST_OP_OTHER; });
}

extern "C" MlirOperation chlastToLayoutOpCreate(MlirLocation loc,
                                                MlirType resultType,
                                                MlirValue source) {
  OpBuilder builder(unwrap(loc)->getContext());
  return wrap(chlast::ToLayoutOp::create(builder, unwrap(loc),
                                         unwrap(resultType), unwrap(source))
                  .getOperation());
}

extern "C" intptr_t chlastLinalgGetNumDpsInputs(MlirOperation op) {
  return cast<linalg::LinalgOp>(unwrap(op)).getNumDpsInputs();
}
