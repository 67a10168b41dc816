//===- ChlastDialect.td - the chlast dialect ---------------*- tablegen -*-===//
//
// The chlast dialect: layout encodings for tensors and the conversion op that
// moves a tensor between layouts.
//
//===----------------------------------------------------------------------===//

#ifndef CHLAST_DIALECT_TD
#define CHLAST_DIALECT_TD

include "mlir/IR/OpBase.td"

def Chlast_Dialect : Dialect {
  let name = "chlast";
  let cppNamespace = "::mlir::chlast";
  let summary = "Channels-last layout encodings and conversions";
  let description = [{
    `#chlast.layout<...>` is a tensor encoding naming the physical order of a
    tensor's logical dimensions. `chlast.to_layout` converts between layouts.
    Logical shapes and indexing never change: an encoding only says how the
    data will be laid out once layouts are materialized.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // CHLAST_DIALECT_TD
