//! Running programs: the CPU target (lowering through upstream MLIR to LLVM
//! and MLIR's ExecutionEngine), the CUDA target (PTX kernels + cuDNN),
//! `.npy` input/output, and equivalence checks.
//!
//! - [`cpu`]: [`cpu::CpuProgram`] compiles a function and runs or times it;
//! - [`cuda_program`]: `chlast-lower-to-cuda`, its PTX and cuDNN conv specs,
//!   and running on a GPU;
//! - [`cuda`]: the CUDA runtime (driver, cuDNN, the `mgpu*` ABI) on cudarc;
//! - [`lowering`]: layout materialization and the CPU pass pipeline;
//! - [`entry`]: choosing the function and reading its signature;
//! - [`tensor`]: host tensors and 16-bit float conversions;
//! - [`npy`]: `.npy` reading and writing;
//! - [`profile`]: time per op (`chlast-run --profile-ops`);
//! - [`random`]: deterministic seeded inputs;
//! - [`compare`]: element-wise comparison with tolerances;
//! - [`engine`], [`memref`], [`diagnostics`]: the ExecutionEngine, memref
//!   descriptors and MLIR diagnostics plumbing.
//!
//! `chlast-run` (`src/bin/chlast-run.rs`) is a command line over this API.

pub mod compare;
pub mod cpu;
pub mod cuda;
pub mod cuda_program;
pub mod diagnostics;
pub mod engine;
pub mod entry;
mod error;
pub mod lowering;
pub mod memref;
pub mod npy;
pub mod onednn;
pub mod profile;
pub mod random;
pub mod tensor;

pub use error::RuntimeError;

/// What a program is compiled for, as `chlast-run --target` and
/// `chlast-compile --target` name it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The CPU, convolutions on oneDNN.
    #[default]
    Cpu,
    /// The CPU, convolutions as plain loops (a reference).
    CpuReference,
    /// The CPU, convolutions through the cuDNN call's CPU reference (the
    /// CUDA target's conv specs, checked on the host).
    CpuCudnn,
    /// A CUDA GPU: PTX kernels and cuDNN.
    Cuda,
}

impl Target {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Cpu => "cpu",
            Target::CpuReference => "cpu-reference",
            Target::CpuCudnn => "cpu-cudnn",
            Target::Cuda => "cuda",
        }
    }

    /// Parses the value `text` of `flag`, one of `allowed`; the error names
    /// them (`--target must be cpu, cpu-reference or cuda, not 'x'`).
    pub fn parse(flag: &str, text: &str, allowed: &[Target]) -> Result<Target, String> {
        if let Some(&target) = allowed.iter().find(|t| t.name() == text) {
            return Ok(target);
        }
        let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
        let list = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        };
        Err(format!("{flag} must be {list}, not '{text}'"))
    }
}

use melior::{Context, dialect::DialectRegistry};

/// A context with every upstream dialect, chlast's dialect, all upstream
/// passes and chlast's passes registered, and the LLVM IR translations the
/// ExecutionEngine needs.
pub fn create_context() -> Context {
    let registry = DialectRegistry::new();
    crate::dialect::register_upstream_and_chlast(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    melior::utility::register_all_passes();
    crate::passes::register_passes();
    melior::utility::register_all_llvm_translations(&context);
    context
}

/// Copies `message` into the C buffer `buffer` of `size` bytes,
/// NUL-terminated and truncated to fit, and returns the message's full
/// length: the error-reporting convention of the runtime libraries' C
/// functions (`chlast_runtime_error`, `chlast_cuda_error`).
///
/// # Safety
///
/// `buffer` holds `size` writable bytes (or is null, or `size` is 0:
/// nothing is written).
pub unsafe fn write_c_message(message: &str, buffer: *mut std::ffi::c_char, size: usize) -> usize {
    if !buffer.is_null() && size > 0 {
        let n = message.len().min(size - 1);
        // SAFETY: `buffer` holds `size` > n bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr().cast(), buffer, n);
            *buffer.add(n) = 0;
        }
    }
    message.len()
}
