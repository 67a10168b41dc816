//===- Passes.td - chlast passes ---------------------------*- tablegen -*-===//
//
// Declarations of chlast's passes. The pass bodies are written in Rust; the
// C++ classes generated from here forward `runOnOperation` to Rust (see
// lib/RustPasses.cpp), so the passes live in MLIR's registry with their
// options and work in textual pipelines and `--help`.
//
//===----------------------------------------------------------------------===//

#ifndef CHLAST_PASSES_TD
#define CHLAST_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvChannelsLast : Pass<"conv-channels-last", "::mlir::ModuleOp"> {
  let summary = "Give convolutions channels-last layouts and propagate them";
  let description = [{
    Attaches `#chlast.layout` encodings to convolution operands and results
    and propagates them through the ops around the convolutions, inserting
    `chlast.to_layout` only where a value crosses between layouts.
  }];
  let dependentDialects = ["::mlir::chlast::ChlastDialect"];
  let options = [
    Option<"enable", "enable", "bool", /*default=*/"true",
           "Run the pass; when false the IR is left unchanged">,
    Option<"maxOpsPerConv", "max-ops-per-conv", "unsigned", /*default=*/"300",
           "Leave a function unchanged when it has this many ops or more per "
           "convolution (0 disables the rule)">,
    Option<"costModel", "cost-model", "bool", /*default=*/"true",
           "Leave a convolution in its original layout when converting it "
           "would move more bytes at its boundaries than it saves">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"min-cut\"",
           "Placement of conversions: 'min-cut' (globally fewest bytes) or "
           "'per-conv' (convert each conv's input and filter and its result "
           "back, the seed's approach, for comparison)">,
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Write one JSON object per function with the pass's statistics "
           "to this file ('-' for stderr)">,
  ];
}

def MaterializeLayouts : Pass<"chlast-materialize-layouts", "::mlir::ModuleOp"> {
  let summary = "Turn #chlast.layout encodings into physical tensor layouts";
  let description = [{
    Rewrites encoded IR into plain upstream IR with physical layouts: an
    encoded tensor becomes a tensor of its physical shape (the view's dims in
    the layout's order), `chlast.to_layout` becomes `linalg.transpose` (plus
    a metadata-only reshape when the layout has a view), `linalg` ops become
    `linalg.generic` ops over the physical dims (loops split where a layout
    splits a dim, `linalg.index` and gathers re-expressed), pads, concats,
    slices and reshapes get physical dims, and encoded constants are
    transposed at compile time. The result contains no chlast ops or
    encodings and means what the input meant.

    Implemented in C++ (dialects/chlast/lib/MaterializeLayouts.cpp): it
    builds linalg IR with MLIR's C++ builders, which the C API does not
    expose.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // CHLAST_PASSES_TD
