//! chlast's passes as MLIR sees them: registration in the global pass
//! registry (so textual pipelines, `--help` and `chlast-opt` find them) and
//! typed constructors for embedding them in a `melior` [`PassManager`].
//!
//! The passes are declared in `dialects/chlast/include/chlast/Passes.td`
//! (names, options, help); their bodies are Rust functions in
//! [`crate::transforms`], installed by [`register_passes`].
//!
//! [`PassManager`]: melior::pass::PassManager

use crate::{Error, ffi, transforms};
use melior::pass::Pass;
use mlir_sys::MlirStringRef;
use std::{ffi::c_void, sync::Once};

/// Installs the Rust pass bodies and registers chlast's passes with MLIR.
/// Idempotent; call it once before creating or parsing chlast passes.
pub fn register_passes() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the body has the C signature the dialect library expects.
        unsafe {
            ffi::chlastSetRustPassBodies(Some(transforms::conv_channels_last::run_from_mlir));
            ffi::chlastRegisterPasses();
        }
    });
}

/// How `conv-channels-last` places layout conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Choose every value's layout to minimise the bytes moved by
    /// conversions (a minimum s-t cut over the function).
    #[default]
    MinCut,
    /// Convert each conv's input and filter to channels-last and its result
    /// back, with nothing propagated (what conv-only layout rewrites do;
    /// for comparison).
    PerConv,
}

impl From<ffi::ChlastStrategy> for Strategy {
    fn from(strategy: ffi::ChlastStrategy) -> Self {
        match strategy {
            ffi::ChlastStrategy::CHLAST_STRATEGY_MIN_CUT => Strategy::MinCut,
            ffi::ChlastStrategy::CHLAST_STRATEGY_PER_CONV => Strategy::PerConv,
        }
    }
}

impl Strategy {
    /// The option value as written in pipelines.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::MinCut => "min-cut",
            Strategy::PerConv => "per-conv",
        }
    }
}

/// Options of `conv-channels-last` (see `chlast-opt --help`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvChannelsLastOptions {
    /// Run the pass; when false the IR is left unchanged.
    pub enable: bool,
    /// Leave a function unchanged when it has this many ops or more per
    /// conv; 0 disables the rule.
    pub max_ops_per_conv: u32,
    /// Leave a conv in its original layout when converting it would move
    /// more bytes at its boundaries than it saves.
    pub cost_model: bool,
    /// Placement of conversions.
    pub strategy: Strategy,
    /// Where to write per-function JSON statistics (`-` for stderr).
    pub stats_file: Option<String>,
}

impl Default for ConvChannelsLastOptions {
    fn default() -> Self {
        Self {
            enable: true,
            max_ops_per_conv: 300,
            cost_model: true,
            strategy: Strategy::MinCut,
            stats_file: None,
        }
    }
}

impl ConvChannelsLastOptions {
    /// The options in MLIR's textual form, as in
    /// `conv-channels-last{enable=true max-ops-per-conv=300}`.
    pub fn to_pipeline_string(&self) -> String {
        let mut text = format!(
            "enable={} max-ops-per-conv={} cost-model={} strategy={}",
            self.enable,
            self.max_ops_per_conv,
            self.cost_model,
            self.strategy.as_str()
        );
        if let Some(file) = &self.stats_file {
            text.push_str(&format!(" stats=\"{file}\""));
        }
        text
    }
}

/// Creates `conv-channels-last` with `options`.
pub fn conv_channels_last(options: &ConvChannelsLastOptions) -> Result<Pass, Error> {
    register_passes();
    create_with_options(
        "conv-channels-last",
        &options.to_pipeline_string(),
        ffi::chlastCreateConvChannelsLastPass,
    )
}

type CreatePass = unsafe extern "C" fn(
    MlirStringRef,
    mlir_sys::MlirStringCallback,
    *mut c_void,
) -> mlir_sys::MlirPass;

fn create_with_options(
    pass: &'static str,
    options: &str,
    create: CreatePass,
) -> Result<Pass, Error> {
    unsafe extern "C" fn collect(message: MlirStringRef, user_data: *mut c_void) {
        // SAFETY: `user_data` is the `String` below; `message` is valid for
        // the duration of the call.
        unsafe { (*(user_data as *mut String)).push_str(&crate::ir::string_of(message)) }
    }
    let mut message = String::new();
    let raw_options = crate::ir::string_ref(options);
    // SAFETY: `raw_options` and `message` outlive the call.
    let raw = unsafe {
        create(
            raw_options,
            Some(collect),
            &mut message as *mut String as *mut c_void,
        )
    };
    if raw.ptr.is_null() {
        return Err(Error::InvalidPassOptions { pass, message });
    }
    // SAFETY: a non-null pass freshly created and owned by the caller.
    Ok(unsafe { Pass::from_raw(raw) })
}
