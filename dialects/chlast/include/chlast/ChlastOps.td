//===- ChlastOps.td - chlast operations --------------------*- tablegen -*-===//

#ifndef CHLAST_OPS_TD
#define CHLAST_OPS_TD

include "chlast/ChlastDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Chlast_ToLayoutOp : Op<Chlast_Dialect, "to_layout", [Pure]> {
  let summary = "convert a tensor between two layouts";
  let description = [{
    Returns `source` with the layout (encoding) of the result type. Shapes
    and element types must be equal; only the encodings differ. The logical
    value is unchanged, so identity conversions and chains fold away and a
    conversion of a constant folds into a constant.

    ```mlir
    %1 = chlast.to_layout %0 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32, #chlast.layout<nhwc>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$source);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

#endif // CHLAST_OPS_TD
