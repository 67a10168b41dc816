//===- LowerToCuda.cpp - the chlast-lower-to-cuda pipeline ------*- C++ -*-===//
//
// `--chlast-lower-to-cuda{chip=sm_80}`: tensor IR (with or without
// #chlast.layout encodings) to a module whose host part is LLVM dialect and
// whose device part is PTX in a `gpu.binary`:
//
//   1. materialize layouts; elementwise arith/math on tensors to linalg;
//      generalize named ops; fuse elementwise producers
//      into consumers (a transpose next to an elementwise op becomes part of
//      its kernel), never into convolutions (chlast-fuse-elementwise);
//      long reductions split into parallel partial reductions
//      (chlast-split-reductions);
//   2. bufferize (identity layouts at function boundaries, results as
//      caller-allocated out-parameters, internal buffers freed);
//   3. convolutions -> cuDNN calls (chlast-convs-to-cudnn); copies -> linalg,
//      ops without a parallel loop get a unit one, constant globals listed
//      for upload (chlast-prepare-gpu-memory);
//   4. every remaining linalg op -> one scf.parallel -> one kernel on a 1-D
//      grid (chlast-map-parallel-loops, convert-parallel-loops-to-gpu,
//      gpu-kernel-outlining); host code is checked not to touch buffer
//      contents (chlast-check-host-memory); all kernels in one gpu.module
//      (chlast-merge-gpu-modules);
//   5. kernels -> NVVM -> PTX with LLVM's NVPTX backend (math without
//      libdevice: chlast-gpu-math-to-ptx); host -> LLVM dialect calling the
//      mgpu* runtime ABI and chlast_cudnn_conv (src/runtime/cuda);
//      allocations go through _mlir_memref_to_llvm_alloc (device memory,
//      stream-ordered); constants are uploaded once at load by a global
//      constructor (chlast-upload-constants).
//
// Element types: f32 and f16 everywhere (f16 math runs in f32); cuDNN calls
// take f32 or f16 tensors with f32 accumulation.
//
//===----------------------------------------------------------------------===//

#include "chlast/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;

namespace {
struct LowerToCudaOptions : public PassPipelineOptions<LowerToCudaOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture: sm_70 ... sm_90 (sm_80, sm_86, sm_89, "
                     "sm_90 are the tested ones)"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX ISA version, as an LLVM feature"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level", llvm::cl::desc("NVPTX optimization level (0-3)"),
      llvm::cl::init(3)};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size", llvm::cl::desc("Threads per block of every kernel"),
      llvm::cl::init(256)};
  PassOptions::Option<std::string> stats{
      *this, "stats",
      llvm::cl::desc("Write kernel / cuDNN / layout-conversion statistics as "
                     "JSON to this file (- for stderr)"),
      llvm::cl::init("")};
};

struct CudnnCallsOptions : public PassPipelineOptions<CudnnCallsOptions> {
  PassOptions::Option<bool> splitReductions{
      *this, "split-reductions",
      llvm::cl::desc("Split long reductions for the GPU "
                     "(chlast-split-reductions); false for the CPU target"),
      llvm::cl::init(true)};
};

bool isSupportedChip(StringRef chip) {
  unsigned version = 0;
  return chip.consume_front("sm_") && !chip.getAsInteger(10, version) &&
         version >= 70 && version <= 90;
}

/// The part of cudnnCallsPipeline after fusion and the split.
constexpr const char *kCudnnCallsAfterFusion =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops},"
    "buffer-results-to-out-params{modify-public-functions},"
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "chlast-convs-to-cudnn";

/// Steps 1 to 3's cuDNN calls: tensor IR to bufferized IR whose convs are
/// `chlast_cudnn_conv` calls. Also registered on its own as
/// `chlast-lower-to-cudnn-calls`, which the CPU check of those calls
/// (`chlast-run --target cpu-cudnn`) runs before lowering the rest for the
/// CPU, so that it checks exactly what the CUDA target runs, and the CPU
/// target runs with `split-reductions=false` (leaving out
/// chlast-split-reductions: a CPU vector wants the contiguous dims the GPU
/// split puts across threads).
std::string cudnnCallsPipeline(bool splitReductions) {
  return std::string("chlast-materialize-layouts,"
                     "func.func(convert-elementwise-to-linalg),"
                     "func.func(linalg-generalize-named-ops),"
                     "chlast-gathers-to-broadcasts,"
                     "chlast-fuse-elementwise,") +
         (splitReductions ? "chlast-split-reductions," : "") +
         kCudnnCallsAfterFusion;
}

std::string pipelineText(const LowerToCudaOptions &o) {
  std::string target = "chip=" + o.chip + " features=" + o.features +
                       " O=" + std::to_string(o.optLevel);
  std::string statsOption = o.stats.empty() ? "" : " stats=" + o.stats;
  return cudnnCallsPipeline(/*splitReductions=*/true) +
         ","
         "chlast-prepare-gpu-memory,"
         "chlast-cuda-stats{phase=collect},"
         "func.func(convert-linalg-to-parallel-loops),"
         "chlast-map-parallel-loops{block-size=" +
         std::to_string(o.blockSize) +
         "},"
         "func.func(convert-parallel-loops-to-gpu),"
         "gpu-kernel-outlining,"
         "chlast-check-host-memory,"
         "chlast-merge-gpu-modules,"
         "gpu.module(math-extend-to-supported-types,chlast-gpu-math-to-ptx),"
         "expand-strided-metadata,"
         "lower-affine,"
         "convert-scf-to-cf,"
         "func.func(arith-expand),"
         "finalize-memref-to-llvm{use-generic-functions},"
         "convert-func-to-llvm,"
         "nvvm-attach-target{" +
         target +
         "},"
         "convert-arith-to-llvm,"
         "convert-index-to-llvm,"
         "convert-cf-to-llvm,"
         "canonicalize,cse,"
         "gpu.module(convert-gpu-to-nvvm),"
         "canonicalize,cse,"
         "reconcile-unrealized-casts,"
         "gpu-to-llvm,"
         "gpu-module-to-binary{format=isa},"
         "convert-math-to-llvm,"
         "convert-math-to-libm,"
         "convert-func-to-llvm,"
         "canonicalize,cse,"
         "reconcile-unrealized-casts,"
         "chlast-upload-constants,"
         "chlast-cuda-stats{phase=report" +
         statsOption + "}";
}
} // namespace

void mlir::chlast::registerLowerToCudaPipeline() {
  registerPassPipeline(
      "chlast-lower-to-cudnn-calls",
      "The first steps of chlast-lower-to-cuda: tensor IR to bufferized IR "
      "whose convolutions are chlast_cudnn_conv calls",
      [](OpPassManager &pm, StringRef optionText,
         function_ref<LogicalResult(const Twine &)> errorHandler)
          -> LogicalResult {
        CudnnCallsOptions options;
        if (failed(options.parseFromString(optionText)))
          return failure();
        std::string errors;
        llvm::raw_string_ostream errorStream(errors);
        if (failed(parsePassPipeline(
                cudnnCallsPipeline(options.splitReductions), pm, errorStream)))
          return errorHandler("chlast-lower-to-cudnn-calls: " + errors);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(CudnnCallsOptions());
      });
  registerPassPipeline(
      "chlast-lower-to-cuda",
      "Lower tensor IR to LLVM-dialect host code plus PTX kernels, with "
      "convolutions as cuDNN calls (chip=sm_80|sm_86|sm_89|sm_90, f32/f16)",
      [](OpPassManager &pm, StringRef optionText,
         function_ref<LogicalResult(const Twine &)> errorHandler)
          -> LogicalResult {
        LowerToCudaOptions options;
        if (failed(options.parseFromString(optionText)))
          return failure();
        if (!isSupportedChip(options.chip))
          return errorHandler("chlast-lower-to-cuda: chip must be sm_70 ... "
                              "sm_90, not '" +
                              options.chip + "'");
        if (options.blockSize <= 0 || options.blockSize > 1024)
          return errorHandler(
              "chlast-lower-to-cuda: block-size must be in 1..1024");
        std::string errors;
        llvm::raw_string_ostream errorStream(errors);
        if (failed(parsePassPipeline(pipelineText(options), pm, errorStream)))
          return errorHandler("chlast-lower-to-cuda: " + errors);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optionHandler) {
        optionHandler(LowerToCudaOptions());
      });
}
