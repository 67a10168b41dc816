//===- Plugin.cpp - chlast as a plugin of stock mlir-opt ---------*- C++ -*-===//
//
// The entry points MLIR's plugin loader looks up in `libChlastPlugin.so`
// (`make plugin`):
//
//   mlir-opt --load-dialect-plugin=libChlastPlugin.so \
//            --load-pass-plugin=libChlastPlugin.so \
//            -p 'builtin.module(conv-channels-last)' model.mlir
//
// The dialect plugin adds the chlast dialect to mlir-opt's registry; the
// pass plugin installs the Rust pass bodies and registers every chlast pass
// and pipeline (`chlastInitialize`, defined by the Rust side). The plugin
// links MLIR dynamically (the libMLIR.so mlir-opt uses), so chlast's passes
// land in mlir-opt's own pass registry. Only linked into the plugin.
//
//===----------------------------------------------------------------------===//

#include "chlast-c/Chlast.h"
#include "chlast/ChlastDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "chlast", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            registry->insert<mlir::chlast::ChlastDialect>();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "chlast", LLVM_VERSION_STRING,
          []() { chlastInitialize(); }};
}
