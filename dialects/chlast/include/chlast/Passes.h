//===- Passes.h - chlast passes ---------------------------------*- C++ -*-===//
#ifndef CHLAST_PASSES_H
#define CHLAST_PASSES_H

#include "chlast/ChlastDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::chlast {
#define GEN_PASS_DECL
#include "chlast/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "chlast/Passes.h.inc"
} // namespace mlir::chlast

#endif // CHLAST_PASSES_H
