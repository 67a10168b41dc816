//===- ChlastDialect.cpp - the chlast dialect -------------------*- C++ -*-===//
//
// `#chlast.layout` (a verifiable tensor encoding) and `chlast.to_layout`
// (Pure, with folders for identities, chains and constants).
//
//===----------------------------------------------------------------------===//

#include "chlast/ChlastDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::chlast;

#include "chlast/ChlastDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "chlast/ChlastAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "chlast/ChlastOps.cpp.inc"

void ChlastDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "chlast/ChlastAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "chlast/ChlastOps.cpp.inc"
      >();
}

Operation *ChlastDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

//===----------------------------------------------------------------------===//
// LayoutAttr
//===----------------------------------------------------------------------===//

namespace {
struct NamedLayout {
  llvm::StringLiteral name;
  llvm::ArrayRef<int64_t> perm;
};
constexpr int64_t kNhwc[] = {0, 2, 3, 1};
constexpr int64_t kNdhwc[] = {0, 2, 3, 4, 1};
constexpr int64_t kNchw[] = {0, 1, 2, 3};
constexpr int64_t kNcdhw[] = {0, 1, 2, 3, 4};
// The first entry for a permutation is the name the printer uses.
const NamedLayout kNamedLayouts[] = {
    {"nhwc", kNhwc},   {"ndhwc", kNdhwc}, {"fhwc", kNhwc},
    {"fdhwc", kNdhwc}, {"nchw", kNchw},   {"ncdhw", kNcdhw},
};
} // namespace

bool LayoutAttr::isIdentity() const {
  for (auto [i, d] : llvm::enumerate(getPerm()))
    if (d != static_cast<int64_t>(i))
      return false;
  return true;
}

StringRef LayoutAttr::getName() const {
  for (const NamedLayout &named : kNamedLayouts)
    if (named.perm == getPerm())
      return named.name;
  return {};
}

LogicalResult
LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                   ArrayRef<int64_t> perm, ArrayRef<int64_t> view) {
  if (!view.empty() && view.size() != perm.size())
    return emitError() << "#chlast.layout permutation has " << perm.size()
                       << " entries but the view has rank " << view.size();
  for (int64_t d : view)
    if (d <= 0)
      return emitError() << "#chlast.layout view sizes must be positive, got ["
                         << view << "]";
  llvm::SmallVector<bool> seen(perm.size(), false);
  for (int64_t d : perm) {
    if (d < 0 || d >= static_cast<int64_t>(perm.size()) || seen[d])
      return emitError() << "#chlast.layout expects a permutation of [0, "
                         << perm.size() << "), got [" << perm << "]";
    seen[d] = true;
  }
  return success();
}

FailureOr<SmallVector<int64_t>>
LayoutAttr::viewGroupEnds(ArrayRef<int64_t> shape, ArrayRef<int64_t> view) {
  SmallVector<int64_t> ends;
  size_t v = 0;
  for (int64_t size : shape) {
    if (size <= 0 || v == view.size())
      return failure();
    int64_t product = view[v++];
    while (product < size && v < view.size())
      product *= view[v++];
    if (product != size)
      return failure();
    ends.push_back(v);
  }
  if (v != view.size())
    return failure();
  return ends;
}

LogicalResult LayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  ArrayRef<int64_t> view = getView();
  if (view.empty()) {
    if (shape.size() != getPerm().size())
      return emitError() << "#chlast.layout of rank " << getPerm().size()
                         << " does not match tensor rank " << shape.size();
    return success();
  }
  // Each logical dimension must be the product of consecutive view dims.
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return emitError() << "#chlast.layout with a view needs a static shape";
  if (failed(viewGroupEnds(shape, view)))
    return emitError() << "#chlast.layout view [" << view
                       << "] does not refine the tensor shape [" << shape
                       << "]";
  return success();
}

Attribute LayoutAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  llvm::SmallVector<int64_t> perm;
  SMLoc loc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalLSquare())) {
    if (failed(parser.parseOptionalRSquare())) {
      if (parser.parseCommaSeparatedList([&]() {
            int64_t d;
            if (parser.parseInteger(d))
              return failure();
            perm.push_back(d);
            return success();
          }) ||
          parser.parseRSquare())
        return {};
    }
  } else {
    StringRef name;
    if (parser.parseKeyword(&name))
      return {};
    const NamedLayout *found = llvm::find_if(
        kNamedLayouts, [&](const NamedLayout &n) { return n.name == name; });
    if (found == std::end(kNamedLayouts)) {
      parser.emitError(loc) << "unknown layout name '" << name
                            << "'; expected nhwc, ndhwc, fhwc, fdhwc, nchw, "
                               "ncdhw or a permutation like [0, 2, 3, 1]";
      return {};
    }
    perm.assign(found->perm.begin(), found->perm.end());
  }
  llvm::SmallVector<int64_t> view;
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("view") || parser.parseEqual() ||
        parser.parseLSquare() ||
        parser.parseCommaSeparatedList([&]() {
          int64_t d;
          if (parser.parseInteger(d))
            return failure();
          view.push_back(d);
          return success();
        }) ||
        parser.parseRSquare())
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), perm, view);
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << "<";
  if (StringRef name = getName(); !name.empty())
    printer << name;
  else
    printer << "[" << getPerm() << "]";
  if (!getView().empty())
    printer << ", view = [" << getView() << "]";
  printer << ">";
}

//===----------------------------------------------------------------------===//
// ToLayoutOp
//===----------------------------------------------------------------------===//

LogicalResult ToLayoutOp::verify() {
  auto src = cast<RankedTensorType>(getSource().getType());
  auto dst = cast<RankedTensorType>(getResult().getType());
  if (src.getShape() != dst.getShape())
    return emitOpError("requires equal shapes, got ")
           << src << " and " << dst;
  if (src.getElementType() != dst.getElementType())
    return emitOpError("requires equal element types, got ")
           << src.getElementType() << " and " << dst.getElementType();
  return success();
}

/// Re-types a constant: encodings are logical, so the data stays as it is.
Attribute mlir::chlast::retypeConstant(Attribute value, RankedTensorType type) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value))
    return DenseElementsAttr::getFromRawBuffer(type, dense.getRawData());
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return {};
}

OpFoldResult ToLayoutOp::fold(FoldAdaptor adaptor) {
  Type resultType = getResult().getType();
  // to_layout %x : T -> T
  if (getSource().getType() == resultType)
    return getSource();
  // to_layout(to_layout(%x : A -> B) : B -> C)
  if (auto inner = getSource().getDefiningOp<ToLayoutOp>()) {
    if (inner.getSource().getType() == resultType)
      return inner.getSource();
    getSourceMutable().assign(inner.getSource());
    return getResult();
  }
  // to_layout(constant)
  return retypeConstant(adaptor.getSource(),
                        cast<RankedTensorType>(resultType));
}

namespace {
/// `to_layout(tensor.empty)` becomes a `tensor.empty` of the target layout.
struct FoldToLayoutOfEmpty : OpRewritePattern<ToLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ToLayoutOp op,
                                PatternRewriter &rewriter) const override {
    auto empty = op.getSource().getDefiningOp<tensor::EmptyOp>();
    if (!empty)
      return failure();
    rewriter.replaceOpWithNewOp<tensor::EmptyOp>(
        op, cast<RankedTensorType>(op.getType()), empty.getDynamicSizes());
    return success();
  }
};
} // namespace

void ToLayoutOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<FoldToLayoutOfEmpty>(context);
}
