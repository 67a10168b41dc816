/*===- Chlast.h - C API of the chlast dialect and passes ----------*- C -*-===*\
|* The Rust crate binds to these functions (src/ffi.rs); C and C++ hosts     *|
|* link libchlast_capi.a (capi/; example: examples/c-api/).                   *|
\*===----------------------------------------------------------------------===*/
#ifndef CHLAST_C_CHLAST_H
#define CHLAST_C_CHLAST_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Chlast, chlast);

/* #chlast.layout ---------------------------------------------------------- */

/// Returns `#chlast.layout<perm>`; a null attribute when `perm` is not a
/// permutation.
MlirAttribute chlastLayoutAttrGet(MlirContext ctx, intptr_t rank,
                                  const int64_t *perm);
/// Returns `#chlast.layout<perm, view = [view]>`; a null attribute when
/// invalid. `viewRank == 0` means the view is the tensor's own shape.
MlirAttribute chlastLayoutAttrGetWithView(MlirContext ctx, intptr_t rank,
                                          const int64_t *perm,
                                          intptr_t viewRank,
                                          const int64_t *view);
bool chlastAttributeIsALayout(MlirAttribute attr);
/// How `view` refines `shape` (`LayoutAttr::viewGroupEnds`): on success
/// writes, for each of the `rank` logical dims, the end of its run of view
/// dims into `groupEnds`; false when `view` does not refine `shape`.
bool chlastLayoutViewGroupEnds(intptr_t rank, const int64_t *shape,
                               intptr_t viewRank, const int64_t *view,
                               int64_t *groupEnds);
intptr_t chlastLayoutAttrGetViewRank(MlirAttribute attr);
int64_t chlastLayoutAttrGetViewDim(MlirAttribute attr, intptr_t pos);
/// A dense or dense_resource constant re-typed to `type` (same shape and
/// element type, another encoding); null for other attributes.
MlirAttribute chlastRetypeElementsAttr(MlirAttribute value, MlirType type);
/// Diagnostics for passes written in Rust.
void chlastEmitRemark(MlirLocation loc, MlirStringRef message);
void chlastEmitWarning(MlirLocation loc, MlirStringRef message);
intptr_t chlastLayoutAttrGetRank(MlirAttribute attr);
int64_t chlastLayoutAttrGetDim(MlirAttribute attr, intptr_t pos);

/* Passes written in Rust -------------------------------------------------- */

/// How `conv-channels-last` places layout conversions (its `strategy`
/// option; Passes.td names the values `min-cut` and `per-conv`).
typedef enum ChlastStrategy {
  /// Every value's layout chosen to minimise the bytes moved by
  /// conversions (a minimum s-t cut over the function).
  CHLAST_STRATEGY_MIN_CUT = 0,
  /// Each conv's input and filter converted and its result converted back,
  /// nothing propagated (for comparison).
  CHLAST_STRATEGY_PER_CONV = 1,
} ChlastStrategy;

/// Options of `conv-channels-last`, as parsed by MLIR's pass options. The
/// one definition: RustPasses.cpp fills it, the Rust side reads it through
/// bindings generated from this header.
typedef struct ChlastConvChannelsLastOptions {
  bool enable;
  unsigned maxOpsPerConv;
  bool costModel;
  ChlastStrategy strategy;
  /// Empty when no statistics are asked for.
  MlirStringRef statsFile;
} ChlastConvChannelsLastOptions;

/// The Rust body of `conv-channels-last`; failure makes the pass fail.
typedef MlirLogicalResult (*ChlastConvChannelsLastFn)(
    MlirOperation module, const ChlastConvChannelsLastOptions *options);

/// Installs the Rust pass bodies. Must be called before any chlast pass runs.
void chlastSetRustPassBodies(ChlastConvChannelsLastFn convChannelsLast);

/// Puts chlast's passes into MLIR's global pass registry (idempotent).
void chlastRegisterPasses(void);

/// Creates `conv-channels-last` with options in textual form
/// (`enable=true max-ops-per-conv=300`). On a bad option returns a null
/// pass and reports the message through `onError`.
MlirPass chlastCreateConvChannelsLastPass(MlirStringRef options,
                                          MlirStringCallback onError,
                                          void *userData);

/* Embedding --------------------------------------------------------------- */

/// Installs the Rust pass bodies and registers every chlast pass (the same
/// as chlastSetRustPassBodies + chlastRegisterPasses, idempotent). Defined
/// by the Rust side: in `libchlast_capi.a` (capi/) for C and C++ hosts.
/// Call it before creating or parsing a chlast pass; the dialect is
/// registered with `mlirGetDialectHandle__chlast__()`.
void chlastInitialize(void);

/* chlast-opt -------------------------------------------------------------- */

/// Runs the `mlir-opt`-style driver with every upstream dialect and pass
/// plus chlast's. Returns the process exit code.
int chlastOptMain(int argc, char **argv, const char *version);

/* Helpers for the Rust passes --------------------------------------------- */

/// The ops the Rust passes tell apart, decided by C++ type checks (`isa<>`
/// on the op classes and interfaces), so that the passes never compare op
/// names.
typedef enum ChlastOpClass {
  CHLAST_OP_OTHER = 0,
  CHLAST_OP_FUNC = 1,        /* func.func */
  CHLAST_OP_RETURN = 2,      /* func.return */
  CHLAST_OP_CONSTANT = 3,    /* arith.constant */
  CHLAST_OP_EMPTY = 4,       /* tensor.empty */
  CHLAST_OP_FILL = 5,        /* linalg.fill */
  CHLAST_OP_EXTRACT = 6,     /* tensor.extract */
  CHLAST_OP_PAD = 7,         /* tensor.pad */
  CHLAST_OP_CONCAT = 8,      /* tensor.concat */
  CHLAST_OP_EXTRACT_SLICE = 9, /* tensor.extract_slice */
  CHLAST_OP_INSERT_SLICE = 10, /* tensor.insert_slice */
  CHLAST_OP_EXPAND_SHAPE = 11, /* tensor.expand_shape */
  CHLAST_OP_COLLAPSE_SHAPE = 12, /* tensor.collapse_shape */
  CHLAST_OP_LINALG_INDEX = 13, /* linalg.index */
  /// A convolution or pooling (linalg's ConvolutionOpInterface).
  CHLAST_OP_CONVOLUTION = 14,
  /// Any other LinalgOp.
  CHLAST_OP_LINALG = 15,
  /// An arith or math op without memory effects, or affine.apply: index
  /// arithmetic a gather's indices may be computed with.
  CHLAST_OP_PURE_ARITHMETIC = 16,
} ChlastOpClass;

/// The class of `op`.
ChlastOpClass chlastClassifyOp(MlirOperation op);

/// A new, unlinked `chlast.to_layout` of `source` to `resultType`, built
/// by the ODS-generated builder.
MlirOperation chlastToLayoutOpCreate(MlirLocation loc, MlirType resultType,
                                     MlirValue source);

/// True for ops implementing the LinalgOp interface.
bool chlastIsLinalgOp(MlirOperation op);
/// Number of loops of a LinalgOp.
intptr_t chlastLinalgGetNumLoops(MlirOperation op);
/// Number of DPS inputs of a LinalgOp.
intptr_t chlastLinalgGetNumDpsInputs(MlirOperation op);

#ifdef __cplusplus
}
#endif

#endif /* CHLAST_C_CHLAST_H */
