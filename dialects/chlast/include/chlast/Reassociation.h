//===- Reassociation.h - reshape groups shared by chlast passes -*- C++ -*-===//
#ifndef CHLAST_REASSOCIATION_H
#define CHLAST_REASSOCIATION_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir::chlast {
/// The reassociation that drops the unit dims of a rank-`rank` shape not
/// listed in `kept` (sorted): each dropped dim joins the group of the next
/// kept dim, or the last group. `[1, 8, 1]` keeping {1} gives [[0, 1, 2]];
/// keeping {0, 1} gives [[0], [1, 2]].
inline SmallVector<ReassociationIndices>
groupsKeeping(int64_t rank, ArrayRef<int64_t> kept) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < rank; ++i) {
    pending.push_back(i);
    if (llvm::is_contained(kept, i)) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}
} // namespace mlir::chlast

#endif // CHLAST_REASSOCIATION_H
