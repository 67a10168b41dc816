//! Raw bindings to the C API of the chlast dialect library
//! (`dialects/chlast/include/chlast-c/Chlast.h`).

use mlir_sys::{
    MlirAttribute, MlirContext, MlirDialectHandle, MlirLocation, MlirLogicalResult, MlirOperation,
    MlirPass, MlirStringCallback, MlirStringRef,
};
use std::ffi::{c_char, c_int, c_void};

/// Options of `conv-channels-last` as MLIR parsed them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ChlastConvChannelsLastOptions {
    /// `enable`
    pub enable: bool,
    /// `max-ops-per-conv`
    pub max_ops_per_conv: u32,
    /// `cost-model`
    pub cost_model: bool,
    /// `strategy`
    pub strategy: MlirStringRef,
    /// `stats`
    pub stats_file: MlirStringRef,
}

/// The Rust body of `conv-channels-last`.
pub type ChlastConvChannelsLastFn = unsafe extern "C" fn(
    module: MlirOperation,
    options: *const ChlastConvChannelsLastOptions,
) -> MlirLogicalResult;

unsafe extern "C" {
    /// The dialect handle (`MLIR_DEFINE_CAPI_DIALECT_REGISTRATION`).
    pub fn mlirGetDialectHandle__chlast__() -> MlirDialectHandle;
    /// `#chlast.layout<perm>` (null if not a permutation).
    pub fn chlastLayoutAttrGet(ctx: MlirContext, rank: isize, perm: *const i64) -> MlirAttribute;
    /// `#chlast.layout<perm, view = [...]>` (null if invalid).
    pub fn chlastLayoutAttrGetWithView(
        ctx: MlirContext,
        rank: isize,
        perm: *const i64,
        view_rank: isize,
        view: *const i64,
    ) -> MlirAttribute;
    /// Whether `attr` is a `#chlast.layout`.
    pub fn chlastAttributeIsALayout(attr: MlirAttribute) -> bool;
    /// Length of the permutation.
    pub fn chlastLayoutAttrGetRank(attr: MlirAttribute) -> isize;
    /// Entry `pos` of the permutation.
    pub fn chlastLayoutAttrGetDim(attr: MlirAttribute, pos: isize) -> i64;
    /// Length of the view shape (0 when the view is the tensor's shape).
    pub fn chlastLayoutAttrGetViewRank(attr: MlirAttribute) -> isize;
    /// Entry `pos` of the view shape.
    pub fn chlastLayoutAttrGetViewDim(attr: MlirAttribute, pos: isize) -> i64;
    /// Installs the Rust pass bodies.
    pub fn chlastSetRustPassBodies(conv_channels_last: ChlastConvChannelsLastFn);
    /// Registers chlast's passes in MLIR's global registry.
    pub fn chlastRegisterPasses();
    /// Creates `conv-channels-last` from a textual option string.
    pub fn chlastCreateConvChannelsLastPass(
        options: MlirStringRef,
        on_error: MlirStringCallback,
        user_data: *mut c_void,
    ) -> MlirPass;
    /// The `mlir-opt`-style driver.
    pub fn chlastOptMain(argc: c_int, argv: *mut *mut c_char, version: *const c_char) -> c_int;
    /// Emits a remark at `loc`.
    pub fn chlastEmitRemark(loc: MlirLocation, message: MlirStringRef);
    /// Emits a warning at `loc`.
    pub fn chlastEmitWarning(loc: MlirLocation, message: MlirStringRef);
    /// Whether `op` implements the LinalgOp interface.
    pub fn chlastIsLinalgOp(op: MlirOperation) -> bool;
    /// Number of loops of a LinalgOp.
    pub fn chlastLinalgGetNumLoops(op: MlirOperation) -> isize;
    /// Whether loop `pos` of a LinalgOp is a reduction.
    pub fn chlastLinalgIsReductionLoop(op: MlirOperation, pos: isize) -> bool;
    /// Number of DPS inputs of a LinalgOp.
    pub fn chlastLinalgGetNumDpsInputs(op: MlirOperation) -> isize;
}

unsafe extern "C" {
    /// A dense or dense_resource constant re-typed to `ty` (another encoding).
    pub fn chlastRetypeElementsAttr(value: MlirAttribute, ty: mlir_sys::MlirType) -> MlirAttribute;
}
