//===- ConvsToCudnn.cpp - convolutions on buffers to cuDNN calls -*- C++ -*-===//
//
// `--chlast-convs-to-cudnn`: on bufferized IR, every convolution that cuDNN
// can describe becomes a call into the runtime.
//
// Before:
//   linalg.generic {bias broadcast: (n,h,w,k) -> (k)} ins(%b : memref<8xf32>)
//                                                     outs(%y : memref<1x14x14x8xf32>)
//   linalg.conv_2d_nhwc_fhwc ins(%x, %w : memref<1x16x16x4xf32>, memref<8x3x3x4xf32>)
//                            outs(%y : memref<1x14x14x8xf32>)
// After:
//   memref.global "private" constant @__chlast_cudnn_conv_spec : memref<43xi64> = dense<[1, 0, 2, ...]>
//   %spec = memref.get_global @__chlast_cudnn_conv_spec
//   ... i64 aligned pointers of %spec, %x, %w, %y, %b ...
//   func.call @chlast_cudnn_conv(%spec_p, %x_p, %w_p, %y_p, %b_p, %z_p) : (i64, i64, i64, i64, i64, i64) -> ()
//
// The spec (43 i64, defined in chlast-c/ConvSpec.h) gives cuDNN's logical
// dims (N, C, spatial...) and element strides of x and y, the filter dims
// (K, C/groups, spatial...) and format (KCRS or KRSC), conv strides,
// dilations, groups, element offsets, flags (bias, accumulate, relu,
// residual, constant filter) and padding. The call's last argument is the residual z (0
// when none); z has y's type.
//
// A symmetric zero padding feeding the conv (what `tensor.pad` bufferizes
// to: a fresh buffer, a zero fill, a copy of the source into its interior)
// becomes cuDNN's padding: x is the source and the fill and copy go away.
// Asymmetric pads (causal video convs) stay kernels.
//
// An elementwise op right after the conv that only reads its result (and
// one residual tensor of the same type) is folded into the call when cuDNN
// can apply it: ReLU (`arith.maximumf` with 0), a residual add, or a
// residual add then ReLU. cuDNN computes y = relu(conv + z + bias):
//   linalg.generic ins(%y, %r) outs(%o) { maximumf(addf(%a, %b), 0) }
// becomes flags |= relu | residual, %o as the call's y and %r as its z; the
// conv's own output buffer goes away.
//
//
// Over 600 lines for a reason: the spec translation, the padding fold and
// the epilogue fold share one analysis of the conv's buffers (roots, strides,
// offsets) and must agree on it; the spec's words are defined in
// chlast-c/ConvSpec.h.
//===----------------------------------------------------------------------===//

#include "chlast-c/ConvSpec.h"
#include "chlast/Buffers.h"
#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>
#include <string>

namespace mlir::chlast {
#define GEN_PASS_DEF_CONVSTOCUDNN
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;
using mlir::chlast::rootOf;

namespace {

constexpr StringLiteral kConvFunction = "chlast_cudnn_conv";

/// `yield (acc + a * b)` with a, b the two inputs and acc the output.
bool isMultiplyAccumulate(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3 || body->getOperations().size() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield ? yield.getOperand(0).getDefiningOp<arith::AddFOp>() : nullptr;
  if (!add)
    return false;
  Value acc = body->getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if (add.getLhs() != acc && add.getRhs() != acc)
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// A static memref operand: shape, element strides, offset.
struct Buffer {
  ArrayRef<int64_t> shape;
  SmallVector<int64_t> strides;
  int64_t offset = 0;
};

std::optional<Buffer> staticBuffer(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Buffer buffer{type.getShape(), {}, 0};
  if (failed(type.getStridesAndOffset(buffer.strides, buffer.offset)) ||
      ShapedType::isDynamic(buffer.offset) ||
      llvm::any_of(buffer.strides, ShapedType::isDynamic))
    return std::nullopt;
  return buffer;
}

/// Position of the result `d<dim>` (exactly that dim) in `map`.
std::optional<unsigned> resultOfDim(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

/// Position of the result of `map` that uses `dim` (a convolved input dim).
std::optional<unsigned> resultUsing(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (expr.isFunctionOfDim(dim))
      return i;
  return std::nullopt;
}

/// A logical cuDNN dim of one operand: its size and element stride.
struct Dim {
  int64_t size = 0;
  int64_t stride = 0;
};

/// The dim made of loop `inner`, optionally merged with the slower loop
/// `outer` (a group dim in front of a channel dim).
std::optional<Dim> channelDim(const Buffer &buffer, AffineMap map,
                              std::optional<unsigned> outer,
                              std::optional<unsigned> inner) {
  if (!inner)
    return std::nullopt;
  auto innerPos = resultOfDim(map, *inner);
  if (!innerPos)
    return std::nullopt;
  Dim dim{buffer.shape[*innerPos], buffer.strides[*innerPos]};
  if (!outer)
    return dim;
  auto outerPos = resultOfDim(map, *outer);
  if (!outerPos ||
      buffer.strides[*outerPos] != dim.size * dim.stride)
    return std::nullopt;
  dim.size *= buffer.shape[*outerPos];
  return dim;
}

/// A zero padding that only feeds the conv's input:
///   %p = memref.alloc() ; zero fill of %p
///   %s = memref.subview %p[low...] [sizes of %x] [1...] ; memref.copy %x, %s
///   conv ins(%p, ...)
struct ZeroPadding {
  Value source;                      // %x
  SmallVector<int64_t> low, high;    // per dim of %p
  SmallVector<Operation *> obsolete; // copy, subview, fill, deallocs, alloc
  Operation *copy = nullptr;
};

/// The spec of `op`, or the reason cuDNN cannot run it. With `padding`,
/// x is the padding's source and the pads go into the spec.
FailureOr<SmallVector<int64_t>> buildSpec(linalg::LinalgOp op,
                                          std::string &reason,
                                          const ZeroPadding *padding = nullptr) {
  auto dims = linalg::inferConvolutionDims(op);
  if (failed(dims)) {
    reason = "not a convolution";
    return failure();
  }
  const linalg::ConvolutionDimensions &d = *dims;
  size_t rank = d.outputImage.size();
  if (d.batch.size() != 1 || (rank != 2 && rank != 3) ||
      d.filterLoop.size() != rank) {
    reason = "needs one batch dim and 2 or 3 spatial dims";
    return failure();
  }
  bool plain = d.depth.empty() && d.inputChannel.size() == 1 &&
               d.outputChannel.size() == 1;
  bool grouped = d.depth.size() == 1 && d.inputChannel.size() == 1 &&
                 d.outputChannel.size() == 1;
  bool depthwise = d.depth.size() == 1 && d.inputChannel.empty() &&
                   d.outputChannel.empty();
  if (!plain && !grouped && !depthwise) {
    reason = "channel dims are neither plain, grouped nor depthwise";
    return failure();
  }
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1) {
    reason = "needs two inputs and one output";
    return failure();
  }
  Value x = padding ? padding->source : op.getDpsInputOperand(0)->get(),
        w = op.getDpsInputOperand(1)->get(), y = op.getDpsInitOperand(0)->get();
  auto xb = staticBuffer(x), wb = staticBuffer(w), yb = staticBuffer(y);
  if (!xb || !wb || !yb) {
    reason = "operands must be memrefs with static shapes and strides";
    return failure();
  }
  Type element = cast<MemRefType>(x.getType()).getElementType();
  if (element != cast<MemRefType>(w.getType()).getElementType() ||
      element != cast<MemRefType>(y.getType()).getElementType() ||
      !(element.isF32() || element.isF16())) {
    reason = "element types must all be f32 or all f16";
    return failure();
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap xMap = maps[0], wMap = maps[1], yMap = maps[2];

  std::optional<unsigned> group =
      d.depth.empty() ? std::nullopt : std::optional(d.depth[0]);
  std::optional<unsigned> inC =
      d.inputChannel.empty() ? std::nullopt : std::optional(d.inputChannel[0]);
  std::optional<unsigned> outC = d.outputChannel.empty()
                                     ? std::nullopt
                                     : std::optional(d.outputChannel[0]);
  // Depthwise: the depth dim is the channel itself (C = K = groups).
  auto xC = depthwise ? channelDim(*xb, xMap, std::nullopt, group)
                      : channelDim(*xb, xMap, group, inC);
  auto yK = depthwise ? channelDim(*yb, yMap, std::nullopt, group)
                      : channelDim(*yb, yMap, group, outC);
  auto wK = depthwise ? channelDim(*wb, wMap, std::nullopt, group)
                      : channelDim(*wb, wMap, group, outC);
  auto xN = resultOfDim(xMap, d.batch[0]), yN = resultOfDim(yMap, d.batch[0]);
  if (!xC || !yK || !wK || !xN || !yN) {
    reason = "group and channel dims are not adjacent in memory";
    return failure();
  }
  int64_t groups = 1;
  if (grouped)
    groups = wb->shape[*resultOfDim(wMap, *group)];
  if (depthwise)
    groups = xC->size;
  std::optional<Dim> wC =
      depthwise ? std::optional(Dim{1, 1}) : channelDim(*wb, wMap, std::nullopt, inC);
  if (!wC) {
    reason = "filter has no input-channel dim";
    return failure();
  }

  SmallVector<int64_t> spec(CHLAST_CONV_SPEC_LENGTH, 0);
  spec[CHLAST_CONV_SPEC_VERSION_WORD] = CHLAST_CONV_SPEC_VERSION;
  spec[CHLAST_CONV_SPEC_ELEMENT_TYPE] =
      element.isF16() ? CHLAST_CONV_ELEMENT_F16 : CHLAST_CONV_ELEMENT_F32;
  spec[CHLAST_CONV_SPEC_SPATIAL_RANK] = rank;
  spec[CHLAST_CONV_SPEC_GROUPS] = groups;
  spec[CHLAST_CONV_SPEC_X_DIMS + 0] = xb->shape[*xN];
  spec[CHLAST_CONV_SPEC_X_STRIDES + 0] = xb->strides[*xN];
  spec[CHLAST_CONV_SPEC_X_DIMS + 1] = xC->size;
  spec[CHLAST_CONV_SPEC_X_STRIDES + 1] = xC->stride;
  spec[CHLAST_CONV_SPEC_Y_DIMS + 0] = yb->shape[*yN];
  spec[CHLAST_CONV_SPEC_Y_STRIDES + 0] = yb->strides[*yN];
  spec[CHLAST_CONV_SPEC_Y_DIMS + 1] = yK->size;
  spec[CHLAST_CONV_SPEC_Y_STRIDES + 1] = yK->stride;
  spec[CHLAST_CONV_SPEC_W_DIMS + 0] = wK->size;
  spec[CHLAST_CONV_SPEC_W_DIMS + 1] = wC->size;

  int64_t filterVolume = 1;
  SmallVector<int64_t> wSpatialStrides;
  SmallVector<unsigned> spatialPositions;
  for (size_t i = 0; i < rank; ++i) {
    auto xPos = resultUsing(xMap, d.outputImage[i]);
    auto yPos = resultOfDim(yMap, d.outputImage[i]);
    auto wPos = resultOfDim(wMap, d.filterLoop[i]);
    if (!xPos || !yPos || !wPos) {
      reason = "spatial dims are not plain dims of the output and filter";
      return failure();
    }
    spec[CHLAST_CONV_SPEC_X_DIMS + 2 + i] = xb->shape[*xPos];
    spec[CHLAST_CONV_SPEC_X_STRIDES + 2 + i] = xb->strides[*xPos];
    if (padding) {
      if (padding->low[*xPos] != padding->high[*xPos]) {
        reason = "padding is not symmetric";
        return failure();
      }
      spec[CHLAST_CONV_SPEC_PADS + i] = padding->low[*xPos];
      spatialPositions.push_back(*xPos);
    }
    spec[CHLAST_CONV_SPEC_Y_DIMS + 2 + i] = yb->shape[*yPos];
    spec[CHLAST_CONV_SPEC_Y_STRIDES + 2 + i] = yb->strides[*yPos];
    spec[CHLAST_CONV_SPEC_W_DIMS + 2 + i] = wb->shape[*wPos];
    spec[CHLAST_CONV_SPEC_CONV_STRIDES + i] = d.strides[i];
    spec[CHLAST_CONV_SPEC_DILATIONS + i] = d.dilations[i];
    filterVolume *= wb->shape[*wPos];
    wSpatialStrides.push_back(wb->strides[*wPos]);
  }
  if (padding)
    for (auto [pos, low] : llvm::enumerate(padding->low))
      if (!llvm::is_contained(spatialPositions, pos) &&
          (low != 0 || padding->high[pos] != 0)) {
        reason = "padding of a batch or channel dim";
        return failure();
      }
  if (spec[CHLAST_CONV_SPEC_X_DIMS + 0] != spec[CHLAST_CONV_SPEC_Y_DIMS + 0] || wK->size != yK->size ||
      xC->size != wC->size * groups) {
    reason = "operand sizes do not agree";
    return failure();
  }

  // The filter must be packed KCRS or KRSC: cuDNN filter descriptors have a
  // format, not strides.
  auto matches = [&](bool channelsLast) {
    int64_t c = wC->size;
    int64_t inner = channelsLast ? c : 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (wSpatialStrides[i] != inner)
        return false;
      inner *= spec[CHLAST_CONV_SPEC_W_DIMS + 2 + i];
    }
    int64_t kStride = c * filterVolume;
    int64_t cStride = channelsLast ? 1 : filterVolume;
    return wK->stride == kStride && (c == 1 || wC->stride == cStride);
  };
  bool inputChannelsLast = xC->stride == 1;
  if (matches(inputChannelsLast))
    spec[CHLAST_CONV_SPEC_FILTER_FORMAT] =
        inputChannelsLast ? CHLAST_CONV_FILTER_KRSC : CHLAST_CONV_FILTER_KCRS;
  else if (matches(!inputChannelsLast))
    spec[CHLAST_CONV_SPEC_FILTER_FORMAT] =
        inputChannelsLast ? CHLAST_CONV_FILTER_KCRS : CHLAST_CONV_FILTER_KRSC;
  else {
    reason = "filter is neither packed KCRS nor KRSC";
    return failure();
  }
  spec[CHLAST_CONV_SPEC_X_OFFSET] = xb->offset;
  spec[CHLAST_CONV_SPEC_W_OFFSET] = wb->offset;
  spec[CHLAST_CONV_SPEC_Y_OFFSET] = yb->offset;
  return spec;
}

/// `op` writes only zeros into all of `buffer`: a linalg.fill, or an
/// input-less linalg.map or all-parallel linalg.generic (a generalized
/// fill) yielding a zero constant.
bool isZeroFill(Operation *op, Value buffer) {
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(op))
    return fill.getDpsInitOperand(0)->get() == buffer &&
           matchPattern(fill.value(), m_AnyZeroFloat());
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  if (!linalgOp || !isa<linalg::MapOp, linalg::GenericOp>(op) ||
      linalgOp.getNumDpsInputs() != 0 || linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getDpsInitOperand(0)->get() != buffer ||
      linalgOp.getNumParallelLoops() != linalgOp.getNumLoops() ||
      !linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0))
           .isPermutation())
    return false;
  Block *body = linalgOp.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  return llvm::all_of(body->without_terminator(),
                      [](Operation &op) { return isa<arith::ConstantOp>(op); }) &&
         matchPattern(yield.getOperand(0), m_AnyZeroFloat());
}

/// Whether any op strictly between `from` and `to` (same block) may write or
/// free memory of `root`'s buffer, other than `allowedFrees`.
bool writtenBetween(Operation *from, Operation *to, Value root,
                    SmallVectorImpl<Operation *> &freesToMove) {
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode()) {
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      if (rootOf(dealloc.getMemref()) == root)
        freesToMove.push_back(op);
      continue;
    }
    if (isMemoryEffectFree(op) || isa<memref::AllocOp>(op))
      continue;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects || (op->getNumRegions() != 0 && !isa<linalg::LinalgOp>(op)))
      return true;
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (auto &effect : instances) {
      if (isa<MemoryEffects::Read>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      if (!value || rootOf(value) == root)
        return true;
    }
  }
  return false;
}

std::optional<ZeroPadding> matchZeroPadding(linalg::LinalgOp conv) {
  Value padded = conv.getDpsInputOperand(0)->get();
  auto alloc = padded.getDefiningOp<memref::AllocOp>();
  if (!alloc || !alloc.getType().hasStaticShape())
    return std::nullopt;
  ZeroPadding padding;
  Operation *fill = nullptr;
  memref::SubViewOp subview;
  SmallVector<Operation *> deallocs;
  for (Operation *user : padded.getUsers()) {
    if (user == conv.getOperation())
      continue;
    if (isa<memref::DeallocOp>(user))
      deallocs.push_back(user);
    else if (auto view = dyn_cast<memref::SubViewOp>(user); view && !subview)
      subview = view;
    else if (!fill && isZeroFill(user, padded))
      fill = user;
    else
      return std::nullopt;
  }
  if (!fill || !subview || !subview.hasUnitStride() || !subview->hasOneUse())
    return std::nullopt;
  auto copy = dyn_cast<memref::CopyOp>(*subview->getUsers().begin());
  if (!copy || copy.getTarget() != subview.getResult())
    return std::nullopt;
  auto sourceType = dyn_cast<MemRefType>(copy.getSource().getType());
  ArrayRef<int64_t> offsets = subview.getStaticOffsets();
  if (!sourceType || !sourceType.hasStaticShape() ||
      subview.getStaticSizes() != sourceType.getShape() ||
      llvm::any_of(offsets, ShapedType::isDynamic))
    return std::nullopt;
  Block *block = conv->getBlock();
  if (fill->getBlock() != block || copy->getBlock() != block ||
      !fill->isBeforeInBlock(copy) || !copy->isBeforeInBlock(conv))
    return std::nullopt;
  // cuDNN reads the source at the conv, not at the copy: nothing may write
  // it in between. Its dealloc, placed after its last use (the copy), moves
  // after the conv.
  SmallVector<Operation *> freesToMove;
  Value source = copy.getSource();
  if (writtenBetween(copy, conv, rootOf(source), freesToMove))
    return std::nullopt;
  for (Operation *free : freesToMove)
    free->moveAfter(conv);
  padding.source = source;
  padding.copy = copy;
  for (auto [i, size] : llvm::enumerate(alloc.getType().getShape())) {
    padding.low.push_back(offsets[i]);
    padding.high.push_back(size - offsets[i] - sourceType.getDimSize(i));
  }
  padding.obsolete = {copy, subview, fill};
  padding.obsolete.append(deallocs.begin(), deallocs.end());
  padding.obsolete.push_back(alloc);
  return padding;
}

/// The last op before `op` in its block with memory effects.
Operation *previousEffect(Operation *op) {
  Operation *prev = op->getPrevNode();
  while (prev && isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  return prev;
}

bool isZero(Value value) {
  Attribute attr;
  return matchPattern(value, m_Constant(&attr)) &&
         (matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero()));
}

/// A generic that writes `bias[k]` into every element of `y` whose output
/// channel is k (the physical dim `channelPos` of `y`), and nothing else. Its
/// output map may permute the loops (materialized channels-last IR keeps
/// logical loop order).
Value matchBiasBroadcast(Operation *op, Value y, int64_t channelPos) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 ||
      generic.getDpsInitOperand(0)->get() != y ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return nullptr;
  Value bias = generic.getDpsInputOperand(0)->get();
  auto biasType = dyn_cast<MemRefType>(bias.getType());
  if (!biasType || biasType.getRank() != 1 || !biasType.getLayout().isIdentity())
    return nullptr;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[1].isPermutation() || maps[0].getNumResults() != 1 ||
      maps[0].getResult(0) != maps[1].getResult(channelPos))
    return nullptr;
  Block *body = generic.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (body->getOperations().size() != 1 ||
      yield.getOperand(0) != body->getArgument(0))
    return nullptr;
  return bias;
}

/// The first op after `op` in its block that may touch memory other than
/// by allocating a fresh buffer.
Operation *nextEffect(Operation *op) {
  Operation *next = op->getNextNode();
  while (next && (isMemoryEffectFree(next) || isa<memref::AllocOp>(next)))
    next = next->getNextNode();
  return next;
}

/// `maximumf(v, 0)` or `maximumf(0, v)`: v; otherwise null.
Value reluOperand(Value value) {
  auto max = value.getDefiningOp<arith::MaximumFOp>();
  if (!max)
    return nullptr;
  if (isZero(max.getRhs()))
    return max.getLhs();
  if (isZero(max.getLhs()))
    return max.getRhs();
  return nullptr;
}

/// What cuDNN applies to the conv's result in the same call.
struct Epilogue {
  linalg::GenericOp op;
  Value out;      // the buffer the call writes instead of the conv's output
  Value residual; // z, added before the activation; null when none
  bool relu = false;
};

/// Whether `value` is defined after `op` in `op`'s block.
bool definedAfter(Value value, Operation *op) {
  Operation *def = value.getDefiningOp();
  return def && def->getBlock() == op->getBlock() && op->isBeforeInBlock(def);
}

/// Whether `op` writes every element of `buffer` without reading it first.
bool overwrites(Operation *op, Value buffer) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return copy.getTarget() == buffer && rootOf(copy.getSource()) != buffer;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
    return false;
  OpOperand *init = linalgOp.getDpsInitOperand(0);
  return init->get() == buffer && !linalgOp.payloadUsesValueFromOperand(init) &&
         linalgOp.getMatchingIndexingMap(init).isPermutation() &&
         llvm::none_of(linalgOp.getDpsInputs(), [&](Value input) {
           return rootOf(input) == buffer;
         });
}

/// Whether the value the conv leaves in the buffer `y` (an allocation) is
/// read by nothing after `epilogue`: the first later access to y (directly
/// or through a view) frees it or overwrites all of it, or there is none.
/// (Bufferization reuses one buffer for several values, so y may well have
/// other users.)
bool deadAfter(Value y, Operation *epilogue) {
  SmallVector<Value> aliases{y};
  Operation *first = nullptr;
  for (size_t i = 0; i < aliases.size(); ++i) {
    for (Operation *user : aliases[i].getUsers()) {
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == aliases[i]) {
        aliases.push_back(view->getResult(0));
        continue;
      }
      Operation *ancestor = epilogue->getBlock()->findAncestorOpInBlock(*user);
      if (!ancestor)
        return false;
      if (ancestor == epilogue || !epilogue->isBeforeInBlock(ancestor))
        continue;
      if (!first || ancestor->isBeforeInBlock(first))
        first = ancestor;
    }
  }
  if (!first)
    return true;
  if (auto dealloc = dyn_cast<memref::DeallocOp>(first))
    return dealloc.getMemref() == y;
  return overwrites(first, y);
}

/// The elementwise op right after `conv` computing relu(y), y + r or
/// relu(y + r) of its output `y` (see the file header), when the call can
/// write its result directly: y is an allocation whose conv value nothing
/// else reads, and the result buffer aliases none of `reads` (x, w, bias)
/// nor the residual.
std::optional<Epilogue> matchEpilogue(linalg::LinalgOp conv, Value y,
                                      ArrayRef<Value> reads) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(nextEffect(conv));
  if (!generic || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumDpsInputs() < 1 || generic.getNumDpsInputs() > 2)
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[0].isPermutation() ||
      llvm::any_of(maps, [&](AffineMap map) { return map != maps[0]; }))
    return std::nullopt;
  Type type = y.getType();
  Value out = generic.getDpsInitOperand(0)->get();
  std::optional<unsigned> yIndex;
  for (auto [i, input] : llvm::enumerate(generic.getDpsInputs())) {
    if (input.getType() != type)
      return std::nullopt;
    if (input == y && !yIndex)
      yIndex = i;
  }
  if (!yIndex || out.getType() != type)
    return std::nullopt;

  // The body: [maximumf(] y [+ r] [, 0)], constants aside.
  Block *body = generic.getBody();
  Epilogue epilogue{generic, out, nullptr, false};
  Value result = cast<linalg::YieldOp>(body->getTerminator()).getOperand(0);
  size_t matched = 1; // the yield
  if (Value operand = reluOperand(result)) {
    epilogue.relu = true;
    result = operand;
    ++matched;
  }
  Value yArg = body->getArgument(*yIndex);
  if (generic.getNumDpsInputs() == 2) {
    unsigned rIndex = 1 - *yIndex;
    Value rArg = body->getArgument(rIndex);
    auto add = result.getDefiningOp<arith::AddFOp>();
    if (!add || !((add.getLhs() == yArg && add.getRhs() == rArg) ||
                  (add.getLhs() == rArg && add.getRhs() == yArg)))
      return std::nullopt;
    epilogue.residual = generic.getDpsInputOperand(rIndex)->get();
    ++matched;
  } else if (result != yArg || !epilogue.relu) {
    return std::nullopt;
  }
  size_t ops = llvm::count_if(body->getOperations(), [](Operation &op) {
    return !isa<arith::ConstantOp>(op);
  });
  if (ops != matched)
    return std::nullopt;

  // Buffers: the call writes `out` and reads x, w, bias and z at the conv.
  Value yRoot = rootOf(y), outRoot = rootOf(out);
  if (out != y && (yRoot != y || !y.getDefiningOp<memref::AllocOp>() ||
                   outRoot == yRoot || !deadAfter(y, generic)))
    return std::nullopt;
  for (Value read : reads)
    if (read && rootOf(read) == outRoot)
      return std::nullopt;
  if (epilogue.residual) {
    Value rRoot = rootOf(epilogue.residual);
    if (rRoot == yRoot || rRoot == outRoot ||
        definedAfter(epilogue.residual, conv))
      return std::nullopt;
  }
  // A fresh output buffer allocated between the conv and the op moves up.
  if (definedAfter(out, conv)) {
    auto alloc = out.getDefiningOp<memref::AllocOp>();
    if (!alloc || alloc->getNumOperands() != 0)
      return std::nullopt;
    alloc->moveBefore(conv);
  }
  return epilogue;
}

struct ConvsToCudnnPass
    : public chlast::impl::ConvsToCudnnBase<ConvsToCudnnPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<linalg::LinalgOp> convs;
    module.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && linalg::isaConvolutionOpInterface(op) &&
          isMultiplyAccumulate(op))
        convs.push_back(op);
    });
    if (convs.empty())
      return;
    declareRuntimeFunction(module, symbols);
    for (linalg::LinalgOp op : convs) {
      std::string reason;
      auto spec = buildSpec(op, reason);
      if (failed(spec)) {
        op->emitRemark() << "convolution stays a GPU kernel: " << reason;
        continue;
      }
      // A zero padding becomes cuDNN's (when symmetric).
      std::optional<ZeroPadding> padding = matchZeroPadding(op);
      std::string ignored;
      auto padded = padding ? buildSpec(op, ignored, &*padding)
                            : FailureOr<SmallVector<int64_t>>(failure());
      if (succeeded(padded)) {
        Value source = padding->source;
        op->setOperand(0, source);
        replace(op, *padded, symbols);
        for (Operation *obsolete : padding->obsolete)
          obsolete->erase();
      } else {
        replace(op, *spec, symbols);
      }
    }
  }

  void declareRuntimeFunction(ModuleOp module, SymbolTable &symbols) {
    if (symbols.lookup(kConvFunction))
      return;
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    Type i64 = builder.getI64Type();
    auto fn = func::FuncOp::create(
        builder, module.getLoc(), kConvFunction,
        builder.getFunctionType({i64, i64, i64, i64, i64, i64}, {}));
    fn.setPrivate();
  }

  void replace(linalg::LinalgOp op, SmallVector<int64_t> spec,
               SymbolTable &symbols) {
    Value y = op.getDpsInitOperand(0)->get();
    Location loc = op.getLoc();
    // The output channel's physical position: where y's stride is the K stride.
    int64_t channelPos = -1;
    auto yType = cast<MemRefType>(y.getType());
    SmallVector<int64_t> yStrides;
    int64_t yOffset;
    if (succeeded(yType.getStridesAndOffset(yStrides, yOffset))) {
      for (auto [i, stride] : llvm::enumerate(yStrides))
        if (stride == spec[CHLAST_CONV_SPEC_Y_STRIDES + 1] && yType.getShape()[i] == spec[CHLAST_CONV_SPEC_Y_DIMS + 1])
          channelPos = i;
    }
    Value bias;
    int64_t flags = CHLAST_CONV_FLAG_ACCUMULATE;
    Operation *init = previousEffect(op);
    if (init && isZeroFill(init, y)) {
      init->erase();
      flags = 0;
    } else if (channelPos >= 0) {
      if (Value b = matchBiasBroadcast(init, y, channelPos)) {
        bias = b;
        init->erase();
        flags = CHLAST_CONV_FLAG_BIAS;
      }
    }
    // A ReLU and/or residual add right after the conv.
    Value output = y, residual;
    Value x = op.getDpsInputOperand(0)->get(), w = op.getDpsInputOperand(1)->get();
    if (!(flags & CHLAST_CONV_FLAG_ACCUMULATE)) {
      if (auto epilogue = matchEpilogue(op, y, {x, w, bias})) {
        output = epilogue->out;
        residual = epilogue->residual;
        flags |= (epilogue->relu ? CHLAST_CONV_FLAG_RELU : 0) |
                 (residual ? CHLAST_CONV_FLAG_RESIDUAL : 0);
        epilogue->op.erase();
      }
    }
    // A filter read from a constant global cannot change between calls:
    // the runtime may keep its reordered copy without checking it again.
    if (auto global = rootOf(w).getDefiningOp<memref::GetGlobalOp>())
      if (auto definition = symbols.lookup<memref::GlobalOp>(global.getName());
          definition && definition.getConstant())
        flags |= CHLAST_CONV_FLAG_CONSTANT_FILTER;
    spec[CHLAST_CONV_SPEC_FLAGS] = flags;

    OpBuilder builder(op);
    Type i64 = builder.getI64Type();
    auto specType = MemRefType::get({CHLAST_CONV_SPEC_LENGTH}, i64);
    auto values = DenseIntElementsAttr::get(
        RankedTensorType::get({CHLAST_CONV_SPEC_LENGTH}, i64), ArrayRef<int64_t>(spec));
    OpBuilder moduleBuilder =
        OpBuilder::atBlockBegin(cast<ModuleOp>(symbols.getOp()).getBody());
    auto global = memref::GlobalOp::create(
        moduleBuilder, loc, "__chlast_cudnn_conv_spec",
        moduleBuilder.getStringAttr("private"), specType, values,
        /*constant=*/true, /*alignment=*/IntegerAttr());
    // Read by the host runtime only: no need to map it for the GPU.
    global->setAttr("chlast.host_only", builder.getUnitAttr());
    symbols.insert(global);

    auto pointer = [&](Value memref) -> Value {
      Value index =
          memref::ExtractAlignedPointerAsIndexOp::create(builder, loc, memref);
      return arith::IndexCastOp::create(builder, loc, i64, index);
    };
    Value specRef =
        memref::GetGlobalOp::create(builder, loc, specType, global.getSymName());
    Value none;
    auto optionalPointer = [&](Value memref) {
      if (memref)
        return pointer(memref);
      if (!none)
        none = arith::ConstantIntOp::create(builder, loc, i64, 0).getResult();
      return none;
    };
    Value biasPointer = optionalPointer(bias);
    Value residualPointer = optionalPointer(residual);
    func::CallOp::create(builder, loc, kConvFunction, TypeRange{},
                         ValueRange{pointer(specRef), pointer(x), pointer(w),
                                    pointer(output), biasPointer,
                                    residualPointer});
    op->erase();
    // When the call writes the epilogue's buffer and nothing else uses the
    // conv's own buffer (bufferization may have reused it), it goes away.
    if (output != y && llvm::all_of(y.getUsers(), [](Operation *user) {
          return isa<memref::DeallocOp>(user);
        })) {
      for (Operation *user : llvm::make_early_inc_range(y.getUsers()))
        user->erase();
      y.getDefiningOp()->erase();
    }
  }
};

} // namespace
