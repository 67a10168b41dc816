//===- MaterializeLayouts.cpp - encodings to physical layouts ---*- C++ -*-===//
//
// `--chlast-materialize-layouts`: every tensor with a `#chlast.layout`
// becomes a plain tensor of its physical shape.
//
// Before:
//   %0 = chlast.to_layout %x : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32, #chlast.layout<nhwc>>
//   %1 = linalg.generic {maps = [(n,c,h,w) -> (n,c,h,w), ...]}
//          ins(%0 : tensor<1x4x8x8xf32, #chlast.layout<nhwc>>) ...
// After:
//   %e = tensor.empty() : tensor<1x8x8x4xf32>
//   %0 = linalg.transpose ins(%x : tensor<1x4x8x8xf32>) outs(%e) permutation = [0, 2, 3, 1]
//   %1 = linalg.generic {maps = [(n,c,h,w) -> (n,h,w,c), ...]}
//          ins(%0 : tensor<1x8x8x4xf32>) ...
//
// A layout is (view, perm): the logical shape refined to `view` (each logical
// dim a run of view dims), stored in the order `perm`. The physical shape is
// view[perm[0]], view[perm[1]], ... Reshapes between physical shapes are
// metadata only because the pass that assigned layouts kept element orders
// consistent across reshapes.
//
//
// Over 600 lines for a reason: one pass whose rewrites (linalg ops, pads,
// concats, slices, reshapes, constants, chlast.to_layout) all go through the
// Materializer's map from logical values to physical ones and the Layout
// helpers at the top; the refinement relation itself is LayoutAttr's
// (viewGroupEnds), shared with the verifier.
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>
#include <optional>

namespace mlir::chlast {
#define GEN_PASS_DEF_MATERIALIZELAYOUTS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;
using namespace mlir::chlast;

namespace {

/// The layout of a tensor type: identity for plain tensors.
struct Layout {
  SmallVector<int64_t> shape; // logical
  SmallVector<int64_t> view;
  SmallVector<int64_t> perm;
  SmallVector<std::pair<int64_t, int64_t>> groups; // logical dim -> [begin, end) of view

  bool isPlain() const {
    if (view != shape)
      return false;
    for (auto [i, p] : llvm::enumerate(perm))
      if (p != static_cast<int64_t>(i))
        return false;
    return true;
  }
  SmallVector<int64_t> physicalShape() const {
    SmallVector<int64_t> out;
    for (int64_t p : perm)
      out.push_back(view[p]);
    return out;
  }
  /// Physical position of view dim v.
  int64_t position(int64_t v) const {
    return std::find(perm.begin(), perm.end(), v) - perm.begin();
  }
};

FailureOr<Layout> getLayout(RankedTensorType type) {
  Layout l;
  l.shape.assign(type.getShape().begin(), type.getShape().end());
  auto enc = dyn_cast_or_null<LayoutAttr>(type.getEncoding());
  if (enc && !type.hasStaticShape())
    return failure();
  if (enc && !enc.getView().empty())
    l.view.assign(enc.getView().begin(), enc.getView().end());
  else
    l.view = l.shape;
  if (enc)
    l.perm.assign(enc.getPerm().begin(), enc.getPerm().end());
  else
    for (int64_t i = 0, e = l.shape.size(); i < e; ++i)
      l.perm.push_back(i);
  // Groups: the run of view dims each logical dim is split into.
  if (!enc || enc.getView().empty()) {
    for (int64_t i = 0, e = l.shape.size(); i < e; ++i)
      l.groups.push_back({i, i + 1});
    return l;
  }
  FailureOr<SmallVector<int64_t>> ends =
      LayoutAttr::viewGroupEnds(l.shape, l.view);
  if (failed(ends))
    return failure();
  int64_t begin = 0;
  for (int64_t end : *ends) {
    l.groups.push_back({begin, end});
    begin = end;
  }
  return l;
}

bool isEncoded(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && isa_and_nonnull<LayoutAttr>(t.getEncoding());
}

RankedTensorType physicalType(RankedTensorType type, const Layout &l) {
  return RankedTensorType::get(l.physicalShape(), type.getElementType());
}

/// Reassociation that groups consecutive dims of `fine` to make `coarse`
/// (both with the same element count); failure if impossible.
FailureOr<SmallVector<ReassociationIndices>>
groupDims(ArrayRef<int64_t> fine, ArrayRef<int64_t> coarse) {
  SmallVector<ReassociationIndices> result;
  size_t f = 0;
  for (int64_t size : coarse) {
    ReassociationIndices group;
    int64_t product = 1;
    if (f < fine.size()) {
      group.push_back(f);
      product = fine[f++];
    }
    while (product < size && f < fine.size()) {
      group.push_back(f);
      product *= fine[f++];
    }
    if (product != size || group.empty())
      return failure();
    result.push_back(group);
  }
  // Trailing unit dims join the last group.
  while (f < fine.size() && fine[f] == 1 && !result.empty())
    result.back().push_back(f++);
  if (f != fine.size())
    return failure();
  return result;
}

/// Reshapes `value` (static shape) to `shape` with metadata-only ops.
Value reshapeTo(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (auto r = groupDims(shape, type.getShape()); succeeded(r))
    return tensor::ExpandShapeOp::create(b, loc, target, value, *r);
  if (auto r = groupDims(type.getShape(), shape); succeeded(r))
    return tensor::CollapseShapeOp::create(b, loc, target, value, *r);
  // Through 1-D.
  int64_t n = type.getNumElements();
  auto flat = RankedTensorType::get({n}, type.getElementType());
  ReassociationIndices all;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    all.push_back(i);
  Value collapsed = value;
  if (type.getRank() != 1)
    collapsed = tensor::CollapseShapeOp::create(
        b, loc, flat, value, SmallVector<ReassociationIndices>{all});
  ReassociationIndices allOut;
  for (size_t i = 0; i < shape.size(); ++i)
    allOut.push_back(i);
  if (shape.size() == 1)
    return collapsed;
  return tensor::ExpandShapeOp::create(b, loc, target, collapsed,
                                       SmallVector<ReassociationIndices>{allOut});
}

/// `physical`, a tensor whose view `view` is stored in the order `from`, as
/// the same bytes stored in the order `to`: possible, as a metadata-only
/// reshape, when the two orders differ only in where unit dims sit (a
/// one-frame NDHWC tensor concatenated or padded to more frames).
FailureOr<Value> reorderUnitDims(OpBuilder &b, Location loc, Value physical,
                                 ArrayRef<int64_t> view,
                                 ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from == to)
    return physical;
  if (from.size() != view.size() || to.size() != view.size())
    return failure();
  auto nonUnit = [&](ArrayRef<int64_t> perm) {
    SmallVector<int64_t> out;
    for (int64_t p : perm)
      if (view[p] != 1)
        out.push_back(p);
    return out;
  };
  if (nonUnit(from) != nonUnit(to))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t p : to)
    shape.push_back(view[p]);
  return reshapeTo(b, loc, physical, shape);
}

/// The physical indices of the element at logical `indices` of a tensor in
/// layout `l`: each index split into its view dims (div/mod by their sizes),
/// then put in physical order.
SmallVector<Value> physicalIndices(OpBuilder &b, Location loc, const Layout &l,
                                   ValueRange indices) {
  SmallVector<Value> viewIndex(l.view.size());
  for (auto [j, idx] : llvm::enumerate(indices)) {
    auto [begin, end] = l.groups[j];
    Value rest = idx;
    for (int64_t v = end - 1; v >= begin; --v) {
      if (v == begin) {
        viewIndex[v] = rest;
        break;
      }
      Value size = arith::ConstantIndexOp::create(b, loc, l.view[v]);
      viewIndex[v] = arith::RemUIOp::create(b, loc, rest, size);
      rest = arith::DivUIOp::create(b, loc, rest, size);
    }
  }
  SmallVector<Value> physIndex;
  for (int64_t p : l.perm)
    physIndex.push_back(viewIndex[p]);
  return physIndex;
}

Value transpose(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> perm) {
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= p == static_cast<int64_t>(i);
  if (identity)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getShape()[p]);
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

/// Plain logical tensor -> physical tensor of layout `l`.
Value toPhysical(OpBuilder &b, Location loc, Value logical, const Layout &l) {
  return transpose(b, loc, reshapeTo(b, loc, logical, l.view), l.perm);
}

/// Physical tensor of layout `l` -> plain logical tensor.
Value toLogical(OpBuilder &b, Location loc, Value physical, const Layout &l) {
  SmallVector<int64_t> inverse(l.perm.size());
  for (auto [i, p] : llvm::enumerate(l.perm))
    inverse[p] = i;
  return reshapeTo(b, loc, transpose(b, loc, physical, inverse), l.shape);
}

/// Constant data permuted into the physical order, at compile time.
FailureOr<Attribute> transposeConstant(Attribute value, RankedTensorType type,
                                       const Layout &l) {
  auto physType = physicalType(type, l);
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (dense.isSplat())
      return Attribute(dense.resizeSplat(physType));
    raw = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    raw = blob->getData();
  } else {
    return failure();
  }
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0 || bits == 0)
    return failure();
  size_t bytes = bits / 8;
  int64_t n = type.getNumElements();
  // A one-element buffer is a splat.
  if (raw.size() == bytes)
    return Attribute(DenseElementsAttr::getFromRawBuffer(physType, raw));
  if (static_cast<int64_t>(raw.size()) != n * static_cast<int64_t>(bytes))
    return failure();
  // Strides of the view (row-major), read in physical order.
  size_t rank = l.view.size();
  SmallVector<int64_t> viewStride(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    viewStride[i] = viewStride[i + 1] * l.view[i + 1];
  SmallVector<int64_t> physShape = l.physicalShape();
  SmallVector<int64_t> index(rank, 0);
  std::vector<char> out(raw.size());
  for (int64_t q = 0; q < n; ++q) {
    int64_t source = 0;
    for (size_t i = 0; i < rank; ++i)
      source += index[i] * viewStride[l.perm[i]];
    std::memcpy(&out[q * bytes], &raw[source * bytes], bytes);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < physShape[i])
        break;
      index[i] = 0;
    }
  }
  return Attribute(DenseElementsAttr::getFromRawBuffer(
      physType, ArrayRef<char>(out.data(), out.size())));
}

/// Rewrites one function.
class Materializer {
public:
  explicit Materializer(func::FuncOp func) : func(func), b(func.getContext()) {}

  LogicalResult run() {
    // Encoded arguments become physical arguments (the signature changes);
    // their logical types are remembered for the ops that use them.
    for (BlockArgument arg : func.getArguments()) {
      if (!isEncoded(arg.getType()))
        continue;
      auto type = cast<RankedTensorType>(arg.getType());
      auto l = getLayout(type);
      if (failed(l))
        return func.emitError("chlast-materialize-layouts: encoded argument #")
               << arg.getArgNumber() << " needs a static shape";
      logicalType[arg] = type;
      arg.setType(physicalType(type, *l));
    }
    SmallVector<Operation *> ops;
    for (Block &block : func.getBody())
      for (Operation &op : block)
        ops.push_back(&op);
    for (Operation *op : ops)
      if (failed(visit(op)))
        return failure();
    // Plain values produced by rewritten ops replace their originals;
    // encoded ones are only used by rewritten ops, which go away.
    for (auto [from, to] : replaced)
      from.replaceAllUsesWith(to);
    for (Operation *op : llvm::reverse(erased))
      op->erase();
    // The signature follows the (now physical) arguments and results.
    SmallVector<Type> results;
    func.walk([&](func::ReturnOp ret) {
      results.assign(ret.getOperandTypes().begin(), ret.getOperandTypes().end());
    });
    func.setType(FunctionType::get(func.getContext(),
                                   func.getBody().getArgumentTypes(), results));
    return success();
  }

private:
  func::FuncOp func;
  IRRewriter b;
  DenseMap<Value, Value> physical; // encoded value -> physical value
  DenseMap<Value, Type> logicalType; // retyped arguments -> encoded type

  /// The type a value had before materialization.
  Type typeOf(Value v) {
    auto it = logicalType.find(v);
    return it == logicalType.end() ? v.getType() : it->second;
  }
  RankedTensorType tensorTypeOf(Value v) {
    return cast<RankedTensorType>(typeOf(v));
  }
  SmallVector<std::pair<Value, Value>> replaced;
  SmallVector<Operation *> erased;

  Value lookup(Value v) { return physical.lookup(v) ? physical.lookup(v) : v; }

  void map(Value from, Value to) {
    physical[from] = to;
    replaced.push_back({from, to});
  }

  bool touchesEncoding(Operation *op) {
    bool found = false;
    op->walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        found |= isEncoded(typeOf(v));
      for (Value v : inner->getResults())
        found |= isEncoded(v.getType());
    });
    return found;
  }

  LogicalResult visit(Operation *op) {
    if (!touchesEncoding(op))
      return success();
    b.setInsertionPoint(op);
    // visitLinalg may replace a named op by a generic and queues that itself.
    bool isLinalg = isa<linalg::LinalgOp>(op);
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case<ToLayoutOp>([&](auto o) { return visitToLayout(o); })
            .Case<arith::ConstantOp>([&](auto o) { return visitConstant(o); })
            .Case<tensor::EmptyOp>([&](auto o) { return visitEmpty(o); })
            .Case<tensor::PadOp>([&](auto o) { return visitPad(o); })
            .Case<tensor::ConcatOp>([&](auto o) { return visitConcat(o); })
            .Case<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
                [&](auto o) { return visitReshape(o); })
            .Case<tensor::ExtractSliceOp>(
                [&](auto o) { return visitExtractSlice(o); })
            .Case<tensor::InsertSliceOp>(
                [&](auto o) { return visitInsertSlice(o); })
            .Case<tensor::ExtractOp>([&](auto o) { return visitExtract(o); })
            .Case<linalg::LinalgOp>([&](auto o) { return visitLinalg(o); })
            .Case<func::ReturnOp>([&](auto o) {
              for (OpOperand &operand : o->getOpOperands())
                operand.set(lookup(operand.get()));
              return success();
            })
            .Default([&](Operation *o) {
              return o->emitOpError(
                  "has #chlast.layout operands or results that "
                  "chlast-materialize-layouts cannot materialize");
            });
    // A linalg op is generalized first; visitLinalg queues the generic.
    if (succeeded(result) && !isLinalg && !isa<func::ReturnOp>(op))
      erased.push_back(op);
    return result;
  }

  /// An element read by logical indices from an encoded tensor reads the
  /// physical tensor at the matching physical indices.
  LogicalResult visitExtract(tensor::ExtractOp op) {
    auto l = getLayout(tensorTypeOf(op.getTensor()));
    if (failed(l))
      return op.emitOpError("needs a static shape to materialize");
    SmallVector<Value> indices =
        physicalIndices(b, op.getLoc(), *l, op.getIndices());
    Value element = tensor::ExtractOp::create(b, op.getLoc(),
                                              lookup(op.getTensor()), indices);
    op.getResult().replaceAllUsesWith(element);
    return success();
  }

  LogicalResult visitToLayout(ToLayoutOp op) {
    auto srcType = tensorTypeOf(op.getSource());
    auto dstType = cast<RankedTensorType>(op.getType());
    auto src = getLayout(srcType), dst = getLayout(dstType);
    if (failed(src) || failed(dst))
      return op.emitOpError("needs static shapes to materialize");
    Value logical = toLogical(b, op.getLoc(), lookup(op.getSource()), *src);
    map(op.getResult(), toPhysical(b, op.getLoc(), logical, *dst));
    return success();
  }

  LogicalResult visitConstant(arith::ConstantOp op) {
    auto type = cast<RankedTensorType>(op.getType());
    auto l = getLayout(type);
    if (failed(l))
      return op.emitOpError("needs a static shape to materialize");
    auto plainType = RankedTensorType::get(type.getShape(), type.getElementType());
    if (auto data = transposeConstant(op.getValue(), type, *l); succeeded(data)) {
      map(op.getResult(),
          arith::ConstantOp::create(b, op.getLoc(), cast<TypedAttr>(*data)));
      return success();
    }
    // Not transposable at compile time: transpose at run time.
    Attribute plain = retypeConstant(op.getValue(), plainType);
    if (!plain)
      return op.emitOpError("constant kind cannot be materialized");
    Value c = arith::ConstantOp::create(b, op.getLoc(), cast<TypedAttr>(plain));
    map(op.getResult(), toPhysical(b, op.getLoc(), c, *l));
    return success();
  }

  LogicalResult visitEmpty(tensor::EmptyOp op) {
    auto type = op.getType();
    auto l = getLayout(type);
    if (failed(l))
      return op.emitOpError("needs a static shape to materialize");
    map(op.getResult(), tensor::EmptyOp::create(b, op.getLoc(),
                                                physicalType(type, *l).getShape(),
                                                type.getElementType()));
    return success();
  }

  /// For ops whose ports share the logical rank and order (pad, concat,
  /// slices): the physical position of logical dim `d`, which must not be
  /// split by the view.
  FailureOr<int64_t> unsplitPosition(const Layout &l, int64_t d) {
    auto [begin, end] = l.groups[d];
    if (end - begin != 1)
      return failure();
    return l.position(begin);
  }

  LogicalResult visitPad(tensor::PadOp op) {
    auto srcL = getLayout(tensorTypeOf(op.getSource()));
    auto dstL = getLayout(op.getResultType());
    Value padValue = op.getConstantPaddingValue();
    if (failed(srcL) || failed(dstL) || !padValue || !op.getLow().empty() ||
        !op.getHigh().empty() ||
        llvm::any_of(op.getStaticLow(), ShapedType::isDynamic) ||
        llvm::any_of(op.getStaticHigh(), ShapedType::isDynamic))
      return op.emitOpError("only static pads with a constant value can be "
                            "materialized");
    size_t rank = dstL->perm.size();
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (auto [d, lo, hi] :
         llvm::zip(llvm::seq<int64_t>(0, op.getResultType().getRank()),
                   op.getStaticLow(), op.getStaticHigh())) {
      if (lo == 0 && hi == 0)
        continue;
      auto p = unsplitPosition(*dstL, d);
      if (failed(p))
        return op.emitOpError("pads a dimension its layout splits");
      low[*p] = lo;
      high[*p] = hi;
    }
    if (Operation *def = padValue.getDefiningOp();
        def && op->isProperAncestor(def))
      padValue = b.clone(*def)->getResult(0);
    auto type = physicalType(op.getResultType(), *dstL);
    SmallVector<OpFoldResult> lowOfr, highOfr;
    for (size_t i = 0; i < rank; ++i) {
      lowOfr.push_back(b.getIndexAttr(low[i]));
      highOfr.push_back(b.getIndexAttr(high[i]));
    }
    FailureOr<Value> source = reorderUnitDims(
        b, op.getLoc(), lookup(op.getSource()), srcL->view, srcL->perm,
        dstL->perm);
    if (failed(source))
      return op.emitOpError("source and result layouts differ");
    auto pad = tensor::PadOp::create(b, op.getLoc(), type, *source, lowOfr,
                                     highOfr, padValue, op.getNofold());
    map(op.getResult(), pad.getResult());
    return success();
  }

  LogicalResult visitConcat(tensor::ConcatOp op) {
    auto l = getLayout(op.getResultType());
    if (failed(l))
      return op.emitOpError("needs static shapes to materialize");
    auto p = unsplitPosition(*l, op.getDim());
    if (failed(p))
      return op.emitOpError("concatenates along a dimension its layout splits");
    SmallVector<Value> inputs;
    for (Value in : op.getInputs()) {
      auto inL = getLayout(tensorTypeOf(in));
      if (failed(inL))
        return op.emitOpError("operands with different layouts");
      FailureOr<Value> input = reorderUnitDims(b, op.getLoc(), lookup(in),
                                               inL->view, inL->perm, l->perm);
      if (failed(input))
        return op.emitOpError("operands with different layouts");
      inputs.push_back(*input);
    }
    map(op.getResult(),
        tensor::ConcatOp::create(b, op.getLoc(), *p, inputs).getResult());
    return success();
  }

  template <typename OpTy> LogicalResult visitReshape(OpTy op) {
    auto srcL = getLayout(tensorTypeOf(op.getSrc()));
    auto dstL = getLayout(cast<RankedTensorType>(op.getType()));
    if (failed(srcL) || failed(dstL))
      return op.emitOpError("needs static shapes to materialize");
    map(op.getResult(), reshapeTo(b, op.getLoc(), lookup(op.getSrc()),
                                  dstL->physicalShape()));
    return success();
  }

  /// Offsets/sizes/strides of a same-rank slice in physical order.
  LogicalResult physicalSlice(Operation *op, const Layout &full,
                              ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                              ArrayRef<int64_t> strides,
                              SmallVector<OpFoldResult> &o,
                              SmallVector<OpFoldResult> &s,
                              SmallVector<OpFoldResult> &t) {
    size_t rank = full.perm.size();
    SmallVector<int64_t> po(rank, 0), ps(rank), pt(rank, 1);
    for (size_t v = 0; v < full.view.size(); ++v)
      ps[full.position(v)] = full.view[v];
    for (size_t d = 0; d < full.shape.size(); ++d) {
      if (offsets[d] == 0 && sizes[d] == full.shape[d] && strides[d] == 1)
        continue;
      auto p = unsplitPosition(full, d);
      if (failed(p))
        return op->emitOpError("slices a dimension its layout splits");
      po[*p] = offsets[d];
      ps[*p] = sizes[d];
      pt[*p] = strides[d];
    }
    for (size_t i = 0; i < rank; ++i) {
      o.push_back(b.getIndexAttr(po[i]));
      s.push_back(b.getIndexAttr(ps[i]));
      t.push_back(b.getIndexAttr(pt[i]));
    }
    return success();
  }

  LogicalResult visitExtractSlice(tensor::ExtractSliceOp op) {
    auto srcL = getLayout(tensorTypeOf(op.getSource()));
    auto dstL = getLayout(op.getType());
    if (failed(srcL) || failed(dstL) || !op.getOffsets().empty() ||
        !op.getSizes().empty() || !op.getStrides().empty() ||
        op.getSourceType().getRank() != op.getType().getRank())
      return op.emitOpError("only static, rank-preserving slices can be "
                            "materialized");
    SmallVector<OpFoldResult> o, s, t;
    if (failed(physicalSlice(op, *srcL, op.getStaticOffsets(),
                             op.getStaticSizes(), op.getStaticStrides(), o, s,
                             t)))
      return failure();
    // The slice keeps the source's physical order; a dim that becomes 1
    // may sit elsewhere in the result's layout (same bytes).
    auto type = physicalType(op.getType(), *dstL);
    if (srcL->perm != dstL->perm) {
      if (dstL->view.size() != srcL->perm.size())
        return op.emitOpError("source and result layouts differ");
      SmallVector<int64_t> shape;
      for (int64_t p : srcL->perm)
        shape.push_back(dstL->view[p]);
      type = RankedTensorType::get(shape, op.getType().getElementType());
    }
    Value slice = tensor::ExtractSliceOp::create(b, op.getLoc(), type,
                                                 lookup(op.getSource()), o, s, t)
                      .getResult();
    FailureOr<Value> result = reorderUnitDims(b, op.getLoc(), slice, dstL->view,
                                              srcL->perm, dstL->perm);
    if (failed(result))
      return op.emitOpError("source and result layouts differ");
    map(op.getResult(), *result);
    return success();
  }

  LogicalResult visitInsertSlice(tensor::InsertSliceOp op) {
    auto dstL = getLayout(tensorTypeOf(op.getDest()));
    if (failed(dstL) || !op.getOffsets().empty() || !op.getSizes().empty() ||
        !op.getStrides().empty() ||
        op.getSourceType().getRank() != op.getDestType().getRank())
      return op.emitOpError("only static, rank-preserving slices can be "
                            "materialized");
    auto srcL = getLayout(op.getSourceType());
    if (failed(srcL))
      return op.emitOpError("needs static shapes to materialize");
    SmallVector<OpFoldResult> o, s, t;
    if (failed(physicalSlice(op, *dstL, op.getStaticOffsets(),
                             op.getStaticSizes(), op.getStaticStrides(), o, s,
                             t)))
      return failure();
    FailureOr<Value> source =
        reorderUnitDims(b, op.getLoc(), lookup(op.getSource()), srcL->view,
                        srcL->perm, dstL->perm);
    if (failed(source))
      return op.emitOpError("source and destination layouts differ");
    map(op.getResult(),
        tensor::InsertSliceOp::create(b, op.getLoc(), *source,
                                      lookup(op.getDest()), o, s, t)
            .getResult());
    return success();
  }

  LogicalResult visitLinalg(linalg::LinalgOp named);
};

/// Sizes that refine both `a` and `b` (same product), or failure.
FailureOr<SmallVector<int64_t>> refine(ArrayRef<int64_t> a,
                                       ArrayRef<int64_t> b) {
  SmallVector<int64_t> cuts;
  int64_t p = 1;
  for (int64_t x : a)
    if (x != 1)
      cuts.push_back(p *= x);
  int64_t q = 1;
  for (int64_t x : b)
    if (x != 1)
      cuts.push_back(q *= x);
  if (p != q)
    return failure();
  llvm::sort(cuts);
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  SmallVector<int64_t> out;
  int64_t previous = 1;
  for (int64_t c : cuts) {
    if (c % previous != 0)
      return failure();
    out.push_back(c / previous);
    previous = c;
  }
  if (out.empty())
    out.push_back(1);
  return out;
}

/// Refined loops of logical loop `d` covered by view dims [begin, end) of a
/// group whose sizes are `sizes`.
SmallVector<int64_t> coveredLoops(ArrayRef<int64_t> refined, int64_t first,
                                  ArrayRef<int64_t> groupSizes, int64_t which) {
  // Skip refined loops covered by earlier view dims of the group.
  int64_t k = 0;
  for (int64_t i = 0; i < which; ++i) {
    int64_t product = 1;
    while (product < groupSizes[i] && k < static_cast<int64_t>(refined.size()))
      product *= refined[k++];
  }
  SmallVector<int64_t> out;
  int64_t product = 1;
  if (groupSizes[which] == 1)
    return out;
  while (product < groupSizes[which] && k < static_cast<int64_t>(refined.size())) {
    product *= refined[k];
    out.push_back(first + k++);
  }
  return out;
}

/// True when `type` has exactly the layout `perm` without a view.
static bool hasPermutation(Type type, ArrayRef<int64_t> perm) {
  auto l = getLayout(cast<RankedTensorType>(type));
  return succeeded(l) && l->view == l->shape && l->perm == perm;
}

/// Channels-last convs that have an upstream named form keep one:
/// conv_2d_nchw_fchw on NHWC/FHWC data is linalg.conv_2d_nhwc_fhwc, and the
/// grouped conv_2d_ngchw_gfchw on NHWGC/GFHWC data is conv_2d_nhwgc_gfhwc.
template <typename From, typename To>
static FailureOr<Operation *>
namedChannelsLast(IRRewriter &b, Operation *op, ArrayRef<int64_t> image,
                  ArrayRef<int64_t> filter, ArrayRef<int64_t> output,
                  function_ref<Value(Value)> lookup,
                  function_ref<Type(Value)> typeOf) {
  auto conv = dyn_cast<From>(op);
  // The named channels-last form reduces over (kh, kw, c) where the
  // original reduces over (c, kh, kw). In f32 the difference is a few ulps;
  // in f16/bf16, which accumulate in their own precision, it is visible, so
  // those keep the original loop order (the generic form below).
  if (conv && !getElementTypeOrSelf(typeOf(conv.getOutputs()[0])).isF32())
    return failure();
  if (!conv || !hasPermutation(typeOf(conv.getInputs()[0]), image) ||
      !hasPermutation(typeOf(conv.getInputs()[1]), filter) ||
      !hasPermutation(typeOf(conv.getOutputs()[0]), output))
    return failure();
  SmallVector<Value> inputs = {lookup(conv.getInputs()[0]),
                               lookup(conv.getInputs()[1])};
  Value init = lookup(conv.getOutputs()[0]);
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", conv.getStrides()),
      b.getNamedAttr("dilations", conv.getDilations())};
  return To::create(b, op->getLoc(), TypeRange{init.getType()}, inputs,
                    ValueRange{init}, attrs)
      .getOperation();
}

LogicalResult Materializer::visitLinalg(linalg::LinalgOp named) {
  {
    auto look = [&](Value v) { return lookup(v); };
    auto type = [&](Value v) { return typeOf(v); };
    FailureOr<Operation *> direct =
        namedChannelsLast<linalg::Conv2DNchwFchwOp, linalg::Conv2DNhwcFhwcOp>(
            b, named, {0, 2, 3, 1}, {0, 2, 3, 1}, {0, 2, 3, 1}, look, type);
    if (failed(direct))
      direct = namedChannelsLast<linalg::Conv2DNgchwGfchwOp,
                                 linalg::Conv2DNhwgcGfhwcOp>(
          b, named, {0, 3, 4, 1, 2}, {0, 1, 3, 4, 2}, {0, 3, 4, 1, 2}, look,
          type);
    if (succeeded(direct)) {
      map(named->getResult(0), (*direct)->getResult(0));
      erased.push_back(named);
      return success();
    }
  }
  linalg::GenericOp op;
  if (auto generic = dyn_cast<linalg::GenericOp>(named.getOperation())) {
    op = generic;
  } else {
    auto generalized = linalg::generalizeNamedOp(b, named);
    if (failed(generalized))
      return named->emitOpError("cannot be generalized to materialize layouts");
    op = *generalized; // the named op is gone; its uses now see the generic
  }
  if (!op.hasPureTensorSemantics())
    return op.emitOpError("needs tensor semantics to materialize layouts");
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Loop ranges from the logical shapes (retyped arguments are physical).
  size_t numLoops = op.getNumLoops();
  SmallVector<int64_t> loopRanges(numLoops, ShapedType::kDynamic);
  for (OpOperand &o : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(typeOf(o.get()));
    if (!type)
      continue;
    for (auto [j, expr] : llvm::enumerate(maps[o.getOperandNumber()].getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(expr))
        loopRanges[dim.getPosition()] = type.getShape()[j];
  }
  if (llvm::is_contained(loopRanges, ShapedType::kDynamic))
    return op.emitOpError("needs static loop ranges to materialize layouts");
  SmallVector<OpOperand *> operands;
  for (OpOperand &o : op->getOpOperands())
    operands.push_back(&o);

  // 1. Refine each loop by every split the operands' views make of it.
  SmallVector<SmallVector<int64_t>> refined(numLoops);
  for (size_t d = 0; d < numLoops; ++d)
    refined[d] = {loopRanges[d]};
  std::vector<std::optional<Layout>> layouts;
  for (OpOperand *o : operands) {
    auto type = dyn_cast<RankedTensorType>(typeOf(o->get()));
    if (!type) { // a scalar operand
      layouts.push_back(std::nullopt);
      continue;
    }
    auto l = getLayout(type);
    if (failed(l) || !type.hasStaticShape())
      return op.emitOpError("needs static shapes to materialize layouts");
    AffineMap m = maps[o->getOperandNumber()];
    for (auto [j, expr] : llvm::enumerate(m.getResults())) {
      auto [begin, end] = l->groups[j];
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        SmallVector<int64_t> sizes(l->view.begin() + begin, l->view.begin() + end);
        auto r = refine(refined[dim.getPosition()], sizes);
        if (failed(r))
          return op.emitOpError("operand layouts split a loop inconsistently");
        refined[dim.getPosition()] = *r;
      } else if (end - begin != 1) {
        return op.emitOpError("a layout splits a dimension indexed by a "
                              "non-trivial expression");
      }
    }
    layouts.push_back(*l);
  }
  SmallVector<int64_t> first(numLoops);
  int64_t total = 0;
  for (size_t d = 0; d < numLoops; ++d) {
    first[d] = total;
    total += refined[d].size();
  }
  // Old loop d as an expression of the refined loops.
  auto loopExpr = [&](int64_t d) {
    AffineExpr e = getAffineConstantExpr(0, ctx);
    int64_t stride = 1;
    for (int64_t k = refined[d].size() - 1; k >= 0; --k) {
      e = e + getAffineDimExpr(first[d] + k, ctx) * stride;
      stride *= refined[d][k];
    }
    return e;
  };
  SmallVector<AffineExpr> loopReplacements;
  for (size_t d = 0; d < numLoops; ++d)
    loopReplacements.push_back(loopExpr(d));

  // 2. Each operand as a physical tensor expanded to the refined loops.
  SmallVector<Value> newInputs, newInits;
  SmallVector<AffineMap> newMaps;
  SmallVector<RankedTensorType> resultPhysical; // per init: final physical type
  SmallVector<SmallVector<int64_t>> initExpanded;
  for (auto [o, maybeLayout] : llvm::zip(operands, layouts)) {
    AffineMap m = maps[o->getOperandNumber()];
    if (!maybeLayout) {
      newMaps.push_back(AffineMap::get(total, 0, {}, ctx));
      newInputs.push_back(o->get());
      continue;
    }
    const Layout &l = *maybeLayout;
    SmallVector<int64_t> expandedShape;
    SmallVector<AffineExpr> exprs;
    for (int64_t p : l.perm) {
      // View dim p belongs to logical dim j.
      int64_t j = 0;
      while (!(l.groups[j].first <= p && p < l.groups[j].second))
        ++j;
      AffineExpr expr = m.getResult(j);
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        int64_t d = dim.getPosition();
        auto [begin, end] = l.groups[j];
        SmallVector<int64_t> sizes(l.view.begin() + begin, l.view.begin() + end);
        SmallVector<int64_t> loops =
            coveredLoops(refined[d], first[d], sizes, p - begin);
        if (loops.empty()) {
          // A unit dim: index it by the loop itself when that loop has
          // size 1 (so every loop stays inferable), else by 0.
          expandedShape.push_back(1);
          bool unitLoop = refined[d].size() == 1 && refined[d][0] == 1;
          exprs.push_back(unitLoop ? getAffineDimExpr(first[d], ctx)
                                   : getAffineConstantExpr(0, ctx));
        }
        for (int64_t k : loops) {
          expandedShape.push_back(refined[d][k - first[d]]);
          exprs.push_back(getAffineDimExpr(k, ctx));
        }
      } else {
        expandedShape.push_back(l.view[p]);
        exprs.push_back(expr.replaceDims(loopReplacements));
      }
    }
    newMaps.push_back(AffineMap::get(total, 0, exprs, ctx));
    auto type = tensorTypeOf(o->get());
    Value phys = lookup(o->get());
    if (!isEncoded(type))
      phys = toPhysical(b, op.getLoc(), phys, l);
    Value expanded = reshapeTo(b, op.getLoc(), phys, expandedShape);
    if (op.isDpsInit(o)) {
      newInits.push_back(expanded);
      resultPhysical.push_back(physicalType(type, l));
      initExpanded.push_back(expandedShape);
    } else {
      newInputs.push_back(expanded);
    }
  }
  SmallVector<utils::IteratorType> iterators;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    iterators.append(refined[d].size(), it);

  // 3. The new op with the old body; linalg.index and gathers re-expressed.
  SmallVector<Type> resultTypes;
  for (Value init : newInits)
    resultTypes.push_back(init.getType());
  auto generic = linalg::GenericOp::create(b, op.getLoc(), resultTypes,
                                           newInputs, newInits, newMaps,
                                           iterators);
  b.cloneRegionBefore(op.getRegion(), generic.getRegion(),
                      generic.getRegion().begin());
  Block *body = &generic.getRegion().front();
  SmallVector<linalg::IndexOp> indices;
  body->walk([&](linalg::IndexOp index) { indices.push_back(index); });
  for (linalg::IndexOp index : indices) {
    b.setInsertionPoint(index);
    int64_t d = index.getDim();
    Value sum;
    int64_t stride = 1;
    for (int64_t k = refined[d].size() - 1; k >= 0; --k) {
      Value i = linalg::IndexOp::create(b, index.getLoc(), first[d] + k);
      if (stride != 1)
        i = arith::MulIOp::create(
            b, index.getLoc(), i,
            arith::ConstantIndexOp::create(b, index.getLoc(), stride));
      sum = sum ? arith::AddIOp::create(b, index.getLoc(), sum, i).getResult() : i;
      stride *= refined[d][k];
    }
    index.replaceAllUsesWith(sum);
    index.erase();
  }
  // Gathers from captured encoded tensors.
  SmallVector<tensor::ExtractOp> extracts;
  llvm::SmallPtrSet<Operation *, 4> rewrittenExtracts;
  body->walk([&](tensor::ExtractOp e) {
    if (isEncoded(typeOf(e.getTensor())))
      extracts.push_back(e);
  });
  for (tensor::ExtractOp e : extracts) {
    auto l = getLayout(tensorTypeOf(e.getTensor()));
    if (failed(l))
      return e.emitOpError("needs a static shape to materialize");
    b.setInsertionPoint(e);
    Location loc = e.getLoc();
    SmallVector<Value> physIndex = physicalIndices(b, loc, *l, e.getIndices());
    Value source = lookup(e.getTensor());
    auto newExtract = tensor::ExtractOp::create(b, loc, source, physIndex);
    rewrittenExtracts.insert(newExtract);
    e.replaceAllUsesWith(newExtract.getResult());
    e.erase();
  }
  // Anything else inside still seeing an encoded tensor is unsupported.
  WalkResult leftover = body->walk([&](Operation *inner) {
    if (rewrittenExtracts.contains(inner))
      return WalkResult::advance();
    for (Value v : inner->getOperands())
      if (isEncoded(typeOf(v)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (leftover.wasInterrupted()) {
    generic.erase();
    return op.emitOpError("uses an encoded tensor in its body in a way "
                          "chlast-materialize-layouts cannot rewrite");
  }

  // 4. Results back to the physical shapes of their layouts.
  b.setInsertionPointAfter(generic);
  for (auto [i, result] : llvm::enumerate(op->getResults())) {
    Value phys = reshapeTo(b, op.getLoc(), generic.getResult(i),
                           resultPhysical[i].getShape());
    if (!isEncoded(result.getType()))
      phys = toLogical(b, op.getLoc(), phys,
                       *layouts[op.getNumDpsInputs() + i]);
    map(result, phys);
  }
  erased.push_back(op);
  return success();
}

struct MaterializeLayoutsPass
    : chlast::impl::MaterializeLayoutsBase<MaterializeLayoutsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(Materializer(func).run()))
        return signalPassFailure();
    }
  }
};
} // namespace

