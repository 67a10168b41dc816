//===- Passes.h - chlast passes ---------------------------------*- C++ -*-===//
#ifndef CHLAST_PASSES_H
#define CHLAST_PASSES_H

#include "chlast-c/Chlast.h"
#include "chlast/ChlastDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::chlast {
#define GEN_PASS_DECL
#include "chlast/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "chlast/Passes.h.inc"

/// Registers `chlast-lower-to-cuda`, the pipeline from (encoded or
/// materialized) tensor IR to LLVM-dialect host code plus PTX.
void registerLowerToCudaPipeline();
} // namespace mlir::chlast

#endif // CHLAST_PASSES_H
