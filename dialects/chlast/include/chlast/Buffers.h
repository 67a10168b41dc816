//===- Buffers.h - memref buffers, shared by chlast passes ------*- C++ -*-===//
#ifndef CHLAST_BUFFERS_H
#define CHLAST_BUFFERS_H

#include "mlir/IR/Value.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::chlast {
/// The allocation (or argument, or global) a memref value is a view of,
/// through any chain of view-like ops (subviews, casts, reshapes).
inline Value rootOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}
} // namespace mlir::chlast

#endif // CHLAST_BUFFERS_H
