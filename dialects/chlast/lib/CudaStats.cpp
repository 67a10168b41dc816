//===- CudaStats.cpp - statistics of a program lowered to CUDA --*- C++ -*-===//
//
// `--chlast-cuda-stats{phase=collect}` runs on bufferized IR after
// chlast-convs-to-cudnn, where every remaining linalg op is one future
// kernel; `--chlast-cuda-stats{phase=report stats=FILE}` runs at the end of
// chlast-lower-to-cuda, counts kernel launches and writes:
//
//   {"kernel_launches": 9, "linalg_kernels": 9, "cudnn_calls": 5,
//    "cudnn_channels_first_calls": 0, "layout_conversion_kernels": 2,
//    "layout_conversion_bytes": 32768, "interior_layout_conversion_kernels": 0,
//    "modelled_hidden_conversion_bytes": 0, "convolution_kernels": 0,
//    "host_loop_ops": 0, "cudnn_fused_epilogues": 3,
//    "max_serial_trip_count": 64, "kernels_over_4096_serial": 0,
//    "kernel_bytes": 81920, "kernel_flops": 20480, "cudnn_bytes": 40960,
//    "cudnn_flops": 1179648, "modelled_ns_h100": 61, "modelled_ns_h200": 43,
//    "device_constants": 4, "device_constant_bytes": 9472,
//    "kernels": [{"op": "linalg.generic", "loc": "model.mlir:12:8",
//                 "threads": 1024, "serial": 64, "bytes": 8192}, ...]}
//
// Per kernel (one per linalg op): threads launched (the product of its
// parallel loops, mapped to a 1-D grid) and the per-thread serial trip
// count (the product of its reduction loops, which each thread runs as a
// loop). Modelled time, summed over kernels and cuDNN calls: the larger of
// bytes moved / memory bandwidth and FLOPs / peak, with data-sheet figures
// (H100 SXM: 3.35 TB/s; H200: 4.8 TB/s; both 67 TFLOP/s f32 and 989
// TFLOP/s f16 tensor cores, which cuDNN uses for f16 convs). It leaves out
// launch latency and the parallelism a kernel lacks: a kernel's serial trip
// count is reported apart. A kernel's bytes are those of its operands read
// once and its results written once; its FLOPs are its iterations times the
// arith/math ops of its body. A cuDNN call moves x, w, y (and a residual);
// its FLOPs are 2 * |y| * |w| / K.
//
// A layout-conversion kernel is a linalg op that only permutes its input
// (a transpose not fused into a neighbour); it reads and writes its tensor
// once. It is interior unless it reads a function argument or only feeds a
// function result. cuDNN calls on channels-first tensors hide conversions inside
// cuDNN (its fast kernels are NHWC); they are modelled as input + filter +
// output bytes. A fused epilogue is a ReLU and/or residual add applied by
// the cuDNN call itself (spec flags relu/residual), not by a kernel.
//
//===----------------------------------------------------------------------===//

#include "chlast-c/ConvSpec.h"
#include "chlast/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace mlir::chlast {
#define GEN_PASS_DEF_CUDASTATS
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

namespace {
constexpr StringLiteral kAttr = "chlast.cuda_stats";
constexpr StringLiteral kFields[] = {
    "kernel_launches",           "linalg_kernels",
    "cudnn_calls",               "cudnn_channels_first_calls",
    "layout_conversion_kernels", "layout_conversion_bytes",
    "interior_layout_conversion_kernels",
    "modelled_hidden_conversion_bytes", "convolution_kernels",
    "host_loop_ops",             "cudnn_fused_epilogues",
    "max_serial_trip_count",     "kernels_over_4096_serial",
    "kernel_bytes",              "kernel_flops",
    "cudnn_bytes",               "cudnn_flops",
    "modelled_ns_h100",          "modelled_ns_h200",
    "device_constants",          "device_constant_bytes"};
/// Fields counted by phase=report on the lowered module.
constexpr StringLiteral kReportedFields[] = {
    "kernel_launches", "device_constants", "device_constant_bytes"};

bool isReported(StringRef field) {
  return llvm::is_contained(kReportedFields, field);
}
constexpr StringLiteral kKernelsAttr = "chlast.cuda_kernels";
/// The longest per-thread serial loop a kernel may have (issue 13).
constexpr int64_t kSerialLimit = 4096;

/// Data-sheet figures: memory bandwidth (bytes/s), f32 and f16 tensor-core
/// peaks (FLOP/s).
struct Chip {
  StringLiteral field;
  double bandwidth, f32Peak, f16Peak;
};
constexpr Chip kChips[] = {{"modelled_ns_h100", 3.35e12, 66.9e12, 989.4e12},
                           {"modelled_ns_h200", 4.8e12, 66.9e12, 989.4e12}};
/// Spec word 4: flags; bits 2 and 3 are a fused ReLU and residual add.
constexpr int64_t kFusedFlags = CHLAST_CONV_FLAG_RELU | CHLAST_CONV_FLAG_RESIDUAL;

int64_t bytesOf(ShapedType type) {
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

/// A linalg op that only moves its single input to a permuted place.
bool isPermutationCopy(linalg::LinalgOp op) {
  if (isa<linalg::TransposeOp>(op))
    return true;
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops() || !op.getBlock())
    return false;
  Block *body = op.getBlock();
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (body->getOperations().size() != 1 || !yield ||
      yield.getOperand(0) != body->getArgument(0))
    return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps[0].isPermutation() && maps[1].isPermutation() &&
         maps[0] != maps[1];
}

/// Whether a conversion reads a function argument or produces a buffer that
/// is only copied into a function argument (a result out-parameter): a
/// conversion at the boundary of the network, not inside it.
bool isAtBoundary(linalg::LinalgOp op) {
  auto isArgument = [](Value v) { return isa<BlockArgument>(v); };
  Value input = op.getDpsInputs()[0], output = op.getDpsInits()[0];
  if (isArgument(input) || isArgument(output))
    return true;
  bool copiedOut = false;
  for (Operation *user : output.getUsers()) {
    if (user == op.getOperation() || isa<memref::DeallocOp>(user))
      continue;
    auto copy = dyn_cast<linalg::CopyOp>(user);
    if (!copy || copy.getDpsInputs()[0] != output ||
        !isArgument(copy.getDpsInits()[0]))
      return false;
    copiedOut = true;
  }
  return copiedOut;
}

/// The spec global behind the first operand of a chlast_cudnn_conv call.
DenseIntElementsAttr specOf(func::CallOp call, SymbolTable &symbols) {
  Value value = call.getOperand(0);
  if (auto cast = value.getDefiningOp<arith::IndexCastOp>())
    value = cast.getIn();
  auto pointer = value.getDefiningOp<memref::ExtractAlignedPointerAsIndexOp>();
  auto get = pointer ? pointer.getSource().getDefiningOp<memref::GetGlobalOp>()
                     : nullptr;
  auto global = get ? symbols.lookup<memref::GlobalOp>(get.getName()) : nullptr;
  return global ? dyn_cast_or_null<DenseIntElementsAttr>(
                      global.getInitialValueAttr())
                : nullptr;
}

int64_t product(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    p *= v;
  return p;
}

/// What one kernel (one linalg op) costs.
struct Kernel {
  int64_t threads = 1, serial = 1, bytes = 0, flops = 0;
};

Kernel measure(linalg::LinalgOp op) {
  Kernel k;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [range, iterator] :
       llvm::zip(ranges, op.getIteratorTypesArray())) {
    int64_t extent = ShapedType::isDynamic(range) ? 1 : range;
    if (iterator == utils::IteratorType::parallel)
      k.threads *= extent;
    else
      k.serial *= extent;
  }
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<MemRefType>(operand.getType());
        type && type.hasStaticShape())
      k.bytes += bytesOf(type);
  int64_t bodyOps = 0;
  if (Block *body = op.getBlock())
    for (Operation &inner : body->without_terminator())
      if (inner.getDialect() &&
          isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()))
        ++bodyOps;
  k.flops = k.threads * k.serial * bodyOps;
  return k;
}

/// max(bytes / bandwidth, flops / peak) in nanoseconds.
int64_t modelledNs(const Chip &chip, int64_t bytes, int64_t flops, bool f16) {
  double seconds = std::max(static_cast<double>(bytes) / chip.bandwidth,
                            static_cast<double>(flops) /
                                (f16 ? chip.f16Peak : chip.f32Peak));
  return static_cast<int64_t>(std::ceil(seconds * 1e9));
}

/// `file:line:col` of an op (innermost file location), or "".
std::string locationOf(Operation *op) {
  std::string text;
  op->getLoc()->walk([&](Location loc) {
    if (auto file = dyn_cast<FileLineColLoc>(loc)) {
      text = (file.getFilename().getValue() + ":" + Twine(file.getLine()) +
              ":" + Twine(file.getColumn()))
                 .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return text;
}

struct CudaStatsPass : public chlast::impl::CudaStatsBase<CudaStatsPass> {
  using CudaStatsBase::CudaStatsBase;

  void runOnOperation() override {
    if (phase == "collect")
      return collect();
    if (phase == "report")
      return report();
    getOperation().emitError() << "chlast-cuda-stats: phase must be collect "
                                  "or report, not '"
                               << phase << "'";
    signalPassFailure();
  }

  void collect() {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<int64_t> counts;
    Builder builder(&getContext());
    SmallVector<Attribute> kernels;
    module.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::GPUModuleOp>())
        return;
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        counts["linalg_kernels"]++;
        Kernel k = measure(linalgOp);
        counts["max_serial_trip_count"] =
            std::max(counts["max_serial_trip_count"], k.serial);
        if (k.serial > kSerialLimit)
          counts["kernels_over_4096_serial"]++;
        counts["kernel_bytes"] += k.bytes;
        counts["kernel_flops"] += k.flops;
        for (const Chip &chip : kChips)
          counts[chip.field] += modelledNs(chip, k.bytes, k.flops, false);
        kernels.push_back(builder.getDictionaryAttr({
            builder.getNamedAttr("op", builder.getStringAttr(
                                           op->getName().getStringRef())),
            builder.getNamedAttr("loc", builder.getStringAttr(locationOf(op))),
            builder.getNamedAttr("threads", builder.getI64IntegerAttr(k.threads)),
            builder.getNamedAttr("serial", builder.getI64IntegerAttr(k.serial)),
            builder.getNamedAttr("bytes", builder.getI64IntegerAttr(k.bytes)),
        }));
        if (linalg::isaConvolutionOpInterface(linalgOp))
          counts["convolution_kernels"]++;
        // Without a parallel loop there is no grid to map: only a dynamic
        // shape leaves one (chlast-prepare-gpu-memory gives the others a
        // unit loop), and chlast-check-host-memory rejects it.
        if (linalgOp.getNumParallelLoops() == 0)
          counts["host_loop_ops"]++;
        if (isPermutationCopy(linalgOp)) {
          counts["layout_conversion_kernels"]++;
          auto type = cast<ShapedType>(linalgOp.getDpsInits()[0].getType());
          counts["layout_conversion_bytes"] += 2 * bytesOf(type);
          if (!isAtBoundary(linalgOp))
            counts["interior_layout_conversion_kernels"]++;
        }
      }
      auto call = dyn_cast<func::CallOp>(op);
      if (!call || call.getCallee() != "chlast_cudnn_conv")
        return;
      counts["cudnn_calls"]++;
      DenseIntElementsAttr spec = specOf(call, symbols);
      if (!spec)
        return;
      SmallVector<int64_t> s = llvm::to_vector(spec.getValues<int64_t>());
      if (s.size() != CHLAST_CONV_SPEC_LENGTH)
        return;
      bool f16 = s[CHLAST_CONV_SPEC_ELEMENT_TYPE] == CHLAST_CONV_ELEMENT_F16;
      int64_t rank = s[CHLAST_CONV_SPEC_SPATIAL_RANK] + 2,
              elementBytes = f16 ? 2 : 4;
      int64_t flags = s[CHLAST_CONV_SPEC_FLAGS];
      {
        ArrayRef<int64_t> all(s);
        int64_t x = product(all.slice(CHLAST_CONV_SPEC_X_DIMS, rank)),
                w = product(all.slice(CHLAST_CONV_SPEC_W_DIMS, rank)),
                y = product(all.slice(CHLAST_CONV_SPEC_Y_DIMS, rank));
        int64_t bytes = elementBytes *
                        (x + w + y + (flags & CHLAST_CONV_FLAG_RESIDUAL ? y : 0));
        // w / K: the multiply-adds per output element.
        int64_t flops =
            2 * y * (w / std::max<int64_t>(1, s[CHLAST_CONV_SPEC_W_DIMS]));
        counts["cudnn_bytes"] += bytes;
        counts["cudnn_flops"] += flops;
        for (const Chip &chip : kChips)
          counts[chip.field] += modelledNs(chip, bytes, flops, f16);
      }
      if (flags & kFusedFlags)
        counts["cudnn_fused_epilogues"]++;
      // Channels-last when x's and y's channel dims (logical dim 1) have
      // stride 1.
      bool channelsLast = s[CHLAST_CONV_SPEC_X_STRIDES + 1] == 1 &&
                          s[CHLAST_CONV_SPEC_Y_STRIDES + 1] == 1;
      if (!channelsLast) {
        counts["cudnn_channels_first_calls"]++;
        ArrayRef<int64_t> all(s);
        counts["modelled_hidden_conversion_bytes"] +=
            elementBytes * (product(all.slice(CHLAST_CONV_SPEC_X_DIMS, rank)) +
                            product(all.slice(CHLAST_CONV_SPEC_W_DIMS, rank)) +
                            product(all.slice(CHLAST_CONV_SPEC_Y_DIMS, rank)));
      }
    });
    SmallVector<NamedAttribute> entries;
    for (StringRef field : kFields)
      if (!isReported(field))
        entries.push_back(builder.getNamedAttr(
            field, builder.getI64IntegerAttr(counts.lookup(field))));
    module->setAttr(kAttr, builder.getDictionaryAttr(entries));
    module->setAttr(kKernelsAttr, builder.getArrayAttr(kernels));
  }

  void report() {
    ModuleOp module = getOperation();
    auto collected = module->getAttrOfType<DictionaryAttr>(kAttr);
    auto kernels = module->getAttrOfType<ArrayAttr>(kKernelsAttr);
    module->removeAttr(kAttr);
    module->removeAttr(kKernelsAttr);
    if (statsFile.empty())
      return;
    if (!collected) {
      module.emitError("chlast-cuda-stats: phase=report needs phase=collect "
                       "earlier in the pipeline");
      return signalPassFailure();
    }
    llvm::StringMap<int64_t> reported;
    module.walk([&](Operation *op) {
      if (isa<gpu::LaunchFuncOp>(op))
        reported["kernel_launches"]++;
      // One upload per constant, in chlast-upload-constants' constructor.
      auto call = dyn_cast<LLVM::CallOp>(op);
      if (!call || call.getCallee() != "chlast_device_constant")
        return;
      reported["device_constants"]++;
      if (auto bytes = call.getArgOperands()[1].getDefiningOp<LLVM::ConstantOp>())
        if (auto value = dyn_cast<IntegerAttr>(bytes.getValue()))
          reported["device_constant_bytes"] += value.getInt();
    });
    std::string text;
    llvm::raw_string_ostream os(text);
    {
      llvm::json::OStream json(os);
      json.object([&] {
        for (StringRef field : kFields) {
          int64_t value = reported.lookup(field);
          if (!isReported(field))
            if (auto attr = collected.getAs<IntegerAttr>(field))
              value = attr.getInt();
          json.attribute(field, value);
        }
        json.attributeArray("kernels", [&] {
          for (Attribute attr :
               kernels ? kernels.getValue() : ArrayRef<Attribute>()) {
            auto kernel = cast<DictionaryAttr>(attr);
            json.object([&] {
              json.attribute("op", kernel.getAs<StringAttr>("op").getValue());
              json.attribute("loc", kernel.getAs<StringAttr>("loc").getValue());
              for (StringRef key : {"threads", "serial", "bytes"})
                json.attribute(key, kernel.getAs<IntegerAttr>(key).getInt());
            });
          }
        });
      });
    }
    os << "\n";
    if (statsFile == "-") {
      llvm::errs() << text;
      return;
    }
    std::error_code error;
    llvm::raw_fd_ostream file(statsFile, error, llvm::sys::fs::OF_Text);
    if (error) {
      module.emitError() << "chlast-cuda-stats: cannot write statistics to '"
                         << statsFile << "': " << error.message();
      return signalPassFailure();
    }
    file << text;
  }
};
} // namespace
