//===- RustPasses.cpp - MLIR pass classes with Rust bodies ------*- C++ -*-===//
//
// The classes generated from Passes.td own the options and the registration;
// their `runOnOperation` hands the operation and the parsed options to the
// Rust body installed by `chlastSetRustPassBodies`.
//
//===----------------------------------------------------------------------===//

#include "chlast-c/Chlast.h"
#include "chlast/Passes.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Support.h"

namespace mlir::chlast {
#define GEN_PASS_DEF_CONVCHANNELSLAST
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

using namespace mlir;

static ChlastConvChannelsLastFn convChannelsLastBody = nullptr;

extern "C" void chlastSetRustPassBodies(ChlastConvChannelsLastFn body) {
  convChannelsLastBody = body;
}

namespace {
struct ConvChannelsLastPass
    : chlast::impl::ConvChannelsLastBase<ConvChannelsLastPass> {
  using ConvChannelsLastBase::ConvChannelsLastBase;

  void runOnOperation() override {
    if (!convChannelsLastBody) {
      getOperation()->emitError(
          "conv-channels-last: the Rust pass body is not installed "
          "(call chlast::register_passes first)");
      return signalPassFailure();
    }
    std::string statsValue = statsFile;
    ChlastConvChannelsLastOptions options{enable, maxOpsPerConv, costModel,
                                          strategy,
                                          wrap(StringRef(statsValue))};
    if (mlirLogicalResultIsFailure(
            convChannelsLastBody(wrap(getOperation().getOperation()), &options)))
      signalPassFailure();
  }
};
} // namespace

extern "C" void chlastRegisterPasses(void) {
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  chlast::registerChlastPasses();
  chlast::registerLowerToCudaPipeline();
}

extern "C" MlirPass chlastCreateConvChannelsLastPass(MlirStringRef options,
                                                     MlirStringCallback onError,
                                                     void *userData) {
  std::unique_ptr<Pass> pass = chlast::createConvChannelsLast();
  if (failed(pass->initializeOptions(unwrap(options), [&](const Twine &msg) {
        std::string text = msg.str();
        onError(wrap(StringRef(text)), userData);
        return failure();
      })))
    return MlirPass{nullptr};
  return wrap(pass.release());
}
