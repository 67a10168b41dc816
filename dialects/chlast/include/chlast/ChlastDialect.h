//===- ChlastDialect.h - the chlast dialect ---------------------*- C++ -*-===//
#ifndef CHLAST_CHLASTDIALECT_H
#define CHLAST_CHLASTDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "chlast/ChlastDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "chlast/ChlastAttrs.h.inc"

#define GET_OP_CLASSES
#include "chlast/ChlastOps.h.inc"

namespace mlir::chlast {
/// The constant `value` (dense or dense_resource elements) re-typed to
/// `type`, which differs from the original only by its encoding. Encodings
/// are logical, so the data is unchanged. Null for other attributes.
Attribute retypeConstant(Attribute value, RankedTensorType type);
} // namespace mlir::chlast

#endif // CHLAST_CHLASTDIALECT_H
