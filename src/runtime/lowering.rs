//! From tensor IR to the LLVM dialect: materializing chlast layouts (when
//! the IR is encoded) and the upstream CPU pipeline.
//!
//! The CPU pipeline bufferizes with identity layouts at function
//! boundaries, turns memref results into caller-allocated out-parameters
//! (`buffer-results-to-out-params`), frees internal buffers
//! (`buffer-deallocation-pipeline`), lowers linalg to loops, and converts
//! everything to the LLVM dialect. The entry function gets
//! `llvm.emit_c_interface` (so `_mlir_ciface_NAME` exists) and its
//! arguments `bufferization.writable = false` (so a program never writes
//! into its inputs and repeated runs see the same inputs).

use super::{RuntimeError, diagnostics};
use melior::{
    Context,
    ir::{
        Module,
        operation::{OperationLike, WalkOrder, WalkResult},
    },
    pass::PassManager,
};
use mlir_sys::*;

/// The passes that turn `#chlast.layout`-encoded IR into plain upstream IR.
/// While a pass is not registered, encoded inputs are refused with
/// [`RuntimeError::EncodedIr`].
pub const MATERIALIZE_PASSES: &[&str] = &["chlast-materialize-layouts"];

/// The upstream CPU pipeline, in order (elements of a `builtin.module(...)`
/// pipeline).
pub fn cpu_passes() -> Vec<String> {
    let mut passes: Vec<String> = [
        "func.func(linalg-generalize-named-ops)",
        "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map allow-return-allocs-from-loops}",
        // Not `hoist-static-allocs`: in MLIR 22 it crashes when a function
        // returns the same buffer twice.
        "buffer-results-to-out-params{modify-public-functions}",
        "buffer-deallocation-pipeline",
    ]
    .map(String::from)
    .to_vec();
    passes.extend(to_llvm(Tail::Loops));
    passes
}

/// The CUDA pipeline's first steps, `chlast-lower-to-cudnn-calls` (the
/// same passes `chlast-lower-to-cuda` starts with, see
/// `dialects/chlast/lib/LowerToCuda.cpp`), then the CPU lowering:
/// convolutions become the `chlast_cudnn_conv` calls the CUDA target
/// makes, everything else runs as CPU loops. Run with
/// [`super::cuda::reference`] bound to the calls, this checks the CUDA
/// lowering's convolution handling on the CPU.
pub fn cudnn_on_cpu_passes() -> Vec<String> {
    let mut passes = vec!["chlast-lower-to-cudnn-calls".to_string()];
    passes.extend(to_llvm(Tail::Loops));
    passes
}

/// 16 lanes (two AVX2 registers): wider tiles run a little faster, but LLVM
/// then fully unrolls loops whose vector ops each become several machine
/// instructions, and its scheduler turns quadratic in the resulting blocks
/// (the Wan decoder compiled in 31 s at 64 lanes, 16 s at 16).
const VECTOR_SIZE: usize = 16;

/// Ops with fewer iterations than this stay on one thread: an OpenMP
/// fork and join costs a few microseconds.
const PARALLEL_THRESHOLD: usize = 16384;

/// The CPU target with oneDNN convolutions: the convolution calls of
/// [`cudnn_on_cpu_passes`] (without the GPU's split of reductions), every
/// other linalg op as loops around 1-D vector operations
/// (`chlast-vectorize-cpu`, see `dialects/chlast/lib/VectorizeCpu.cpp`),
/// lowered to LLVM vectors; when `parallel`, the outer loop of every large
/// op as an OpenMP parallel loop.
pub fn onednn_passes(parallel: bool) -> Vec<String> {
    let threshold = if parallel { PARALLEL_THRESHOLD } else { 0 };
    let mut passes = vec![
        "chlast-lower-to-cudnn-calls{split-reductions=false}".to_string(),
        "func.func(math-expand-ops{ops=fpowi})".into(),
        format!("chlast-vectorize-cpu{{vector-size={VECTOR_SIZE} parallel-threshold={threshold}}}"),
        "canonicalize".into(),
    ];
    passes.extend(to_llvm(if parallel {
        Tail::ThreadedVectors
    } else {
        Tail::Vectors
    }));
    passes
}

/// `passes` with `chlast-profile-ops` right after bufferization (after the
/// cuDNN calls, before vectorization), so that each timed op is one linalg
/// op, copy or conv call of the program.
pub fn with_profile(mut passes: Vec<String>) -> Vec<String> {
    let bufferized = passes
        .iter()
        .position(|p| {
            p.starts_with("chlast-lower-to-cudnn-calls") || p == "buffer-deallocation-pipeline"
        })
        .map_or(0, |i| i + 1);
    passes.insert(bufferized, "chlast-profile-ops".into());
    passes
}

/// What the bufferized IR handed to [`to_llvm`] holds besides linalg.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Only linalg, scf and the like.
    Loops,
    /// Vector ops from `chlast-vectorize-cpu`.
    Vectors,
    /// Vector ops and `scf.parallel` loops to run on OpenMP threads.
    ThreadedVectors,
}

/// Bufferized IR to the LLVM dialect: linalg as loops, then the upstream
/// conversions (`convert-bufferization-to-memref` finds nothing after
/// chlast-lower-to-cudnn-calls). Vectors are lowered to 1-D first and
/// folded after the loops become branches; `scf.parallel` becomes OpenMP.
fn to_llvm(tail: Tail) -> Vec<String> {
    let vectors = tail != Tail::Loops;
    let threads = tail == Tail::ThreadedVectors;
    let mut passes = Vec::new();
    if vectors {
        passes.push(
            "func.func(lower-vector-multi-reduction{lowering-strategy=inner-reduction},\
             convert-vector-to-scf{full-unroll})",
        );
    }
    passes.push("convert-linalg-to-loops");
    if threads {
        // convert-scf-to-openmp wraps each body in a memref.alloca_scope;
        // canonicalize drops the scopes that hold no alloca before
        // convert-scf-to-cf would give them several blocks.
        passes.extend(["convert-scf-to-openmp", "canonicalize"]);
    }
    passes.extend([
        "convert-bufferization-to-memref",
        "expand-strided-metadata",
        "lower-affine",
        "convert-scf-to-cf",
    ]);
    if vectors {
        passes.extend(["canonicalize", "cse"]);
    }
    passes.push(
        "func.func(arith-emulate-unsupported-floats{source-types=bf16 target-type=f32},arith-expand{include-bf16})",
    );
    if vectors {
        passes.extend(["convert-vector-to-llvm", "convert-ub-to-llvm"]);
    }
    passes.extend([
        "convert-math-to-llvm",
        "convert-math-to-libm",
        "convert-arith-to-llvm",
        "convert-cf-to-llvm",
        "finalize-memref-to-llvm",
        "convert-func-to-llvm",
        "convert-index-to-llvm",
    ]);
    if threads {
        passes.push("convert-openmp-to-llvm");
    }
    passes.push("reconcile-unrealized-casts");
    passes.into_iter().map(String::from).collect()
}

/// `builtin.module(p1,p2,...)`.
pub fn pipeline(passes: &[&str]) -> String {
    format!("builtin.module({})", passes.join(","))
}

/// Whether the module contains `chlast` ops or `#chlast.layout` encodings
/// on any value.
pub fn is_encoded(module: &Module) -> bool {
    let mut encoded = false;
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        let raw = op.to_raw();
        if op
            .name()
            .as_string_ref()
            .as_str()
            .is_ok_and(|n| n.starts_with("chlast."))
            || defines_encoded_value(raw)
        {
            encoded = true;
            WalkResult::Interrupt
        } else {
            WalkResult::Advance
        }
    });
    encoded
}

/// Refuses an entry function with a statically shaped tensor result (a
/// `tensor.empty`, a constant, any op) larger than the memory available or
/// than 2^64 bytes: compiled, it would fail to allocate (or wrap around)
/// at run time, with no message.
pub fn check_tensor_sizes(module: &Module, entry: &str) -> Result<(), RuntimeError> {
    let Some(function) = super::entry::find_function(module, entry) else {
        return Ok(());
    };
    let mut too_large = None;
    function.walk(WalkOrder::PreOrder, |op| {
        let raw = op.to_raw();
        // SAFETY: results of a live op within their count.
        let problem = unsafe {
            (0..mlirOperationGetNumResults(raw)).find_map(|i| {
                let ty = mlirValueGetType(mlirOperationGetResult(raw, i));
                let tensor = crate::ir::static_tensor(melior::ir::Type::from_raw(ty))?;
                let shape: Vec<usize> = tensor.shape.iter().map(|&d| d as usize).collect();
                let element_bytes = tensor.element_bits.div_ceil(8) as usize;
                let bytes = super::entry::checked_bytes(&shape, element_bytes).err()?;
                Some((melior::ir::Type::from_raw(ty).to_string(), bytes))
            })
        };
        match problem {
            Some((ty, bytes)) => {
                let name = op
                    .name()
                    .as_string_ref()
                    .as_str()
                    .unwrap_or("?")
                    .to_string();
                let location = op.location().to_string();
                too_large = Some(RuntimeError::TooLarge {
                    what: format!("'{name}' at {location} ({ty})"),
                    bytes,
                    available: super::entry::available_memory(),
                });
                WalkResult::Interrupt
            }
            None => WalkResult::Advance,
        }
    });
    too_large.map_or(Ok(()), Err)
}

fn defines_encoded_value(op: MlirOperation) -> bool {
    // SAFETY: iteration over the live op's results, regions, blocks and
    // block arguments within their counts.
    unsafe {
        let results = (0..mlirOperationGetNumResults(op)).map(|i| mlirOperationGetResult(op, i));
        let mut arguments = Vec::new();
        for r in 0..mlirOperationGetNumRegions(op) {
            let mut block = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, r));
            while !block.ptr.is_null() {
                arguments.extend(
                    (0..mlirBlockGetNumArguments(block)).map(|i| mlirBlockGetArgument(block, i)),
                );
                block = mlirBlockGetNextInRegion(block);
            }
        }
        results
            .chain(arguments)
            .any(|value| has_chlast_encoding(mlirValueGetType(value)))
    }
}

fn has_chlast_encoding(ty: MlirType) -> bool {
    // SAFETY: the encoding is only read from ranked tensor types.
    unsafe {
        if !mlirTypeIsARankedTensor(ty) {
            return false;
        }
        let encoding = mlirRankedTensorTypeGetEncoding(ty);
        !encoding.ptr.is_null() && crate::ffi::chlastAttributeIsALayout(encoding)
    }
}

/// Materializes layouts in place when the module is encoded; a no-op
/// otherwise.
pub fn materialize_if_encoded(context: &Context, module: &mut Module) -> Result<(), RuntimeError> {
    if !is_encoded(module) {
        return Ok(());
    }
    let manager = PassManager::new(context);
    if melior::utility::parse_pass_pipeline(
        manager.as_operation_pass_manager(),
        &pipeline(MATERIALIZE_PASSES),
    )
    .is_err()
    {
        return Err(RuntimeError::EncodedIr);
    }
    run(context, &manager, module, "materializing layouts")?;
    if is_encoded(module) {
        // Bufferization would silently drop the encodings: refuse.
        return Err(RuntimeError::Pipeline {
            stage: "materializing layouts",
            messages: vec![
                "chlast ops or #chlast.layout encodings remain after materialization".into(),
            ],
        });
    }
    Ok(())
}

/// The entry to run (`entry`, or the only public function), a clone of
/// `module` with layouts materialized, and the entry's signature.
pub fn materialized_clone<'c>(
    context: &Context,
    module: &Module<'c>,
    entry: Option<&str>,
    source_name: &str,
) -> Result<(String, Module<'c>, super::entry::Signature), RuntimeError> {
    let entry = super::entry::select_entry(module, entry, source_name)?;
    let mut module = super::cpu::clone_module(module);
    materialize_if_encoded(context, &mut module)?;
    let signature = super::entry::signature(&module, &entry)?;
    Ok((entry, module, signature))
}

/// Marks `entry` for the C interface and its arguments read-only, then
/// runs `passes` ([`cpu_passes`], [`cudnn_on_cpu_passes`] or
/// [`onednn_passes`]) on `module`.
pub fn lower_to_llvm(
    context: &Context,
    module: &mut Module,
    entry: &str,
    passes: &[&str],
) -> Result<(), RuntimeError> {
    prepare_entry(context, module, entry);
    let manager = PassManager::new(context);
    melior::utility::parse_pass_pipeline(manager.as_operation_pass_manager(), &pipeline(passes))
        .map_err(|error| RuntimeError::Pipeline {
            stage: "building the CPU pipeline",
            messages: vec![error.to_string()],
        })?;
    run(context, &manager, module, "lowering to LLVM")
}

/// Runs the textual pass `pipeline` on `module` (`chlast-run --passes`):
/// a pass list such as `conv-channels-last{strategy=per-conv}` is nested
/// under `builtin.module(...)`; a full `builtin.module(...)` is taken as is.
pub fn run_pipeline(
    context: &Context,
    module: &mut Module,
    pipeline: &str,
) -> Result<(), RuntimeError> {
    let text = if pipeline.trim_start().starts_with("builtin.module") {
        pipeline.to_string()
    } else {
        format!("builtin.module({pipeline})")
    };
    let manager = PassManager::new(context);
    let (parsed, messages) = diagnostics::capture(context, || {
        melior::utility::parse_pass_pipeline(manager.as_operation_pass_manager(), &text)
    });
    if let Err(error) = parsed {
        let mut messages = messages;
        messages.push(format!("'{text}': {error}"));
        return Err(RuntimeError::Pipeline {
            stage: "parsing --passes",
            messages,
        });
    }
    run(context, &manager, module, "running --passes")
}

fn run(
    context: &Context,
    manager: &PassManager,
    module: &mut Module,
    stage: &'static str,
) -> Result<(), RuntimeError> {
    let (result, messages) = diagnostics::capture(context, || manager.run(module));
    match result {
        Ok(()) => Ok(()),
        Err(_) => Err(RuntimeError::Pipeline { stage, messages }),
    }
}

pub(crate) fn prepare_entry(context: &Context, module: &Module, entry: &str) {
    let Some(function) = super::entry::find_function(module, entry) else {
        return;
    };
    let op = function.to_raw();
    let name = crate::ir::string_ref;
    // SAFETY: `op` is a live func.func of `context`; names outlive the calls.
    unsafe {
        let ctx = context.to_raw();
        mlirOperationSetDiscardableAttributeByName(
            op,
            name("llvm.emit_c_interface"),
            mlirUnitAttrGet(ctx),
        );
        let function_type =
            mlirTypeAttrGetValue(mlirOperationGetAttributeByName(op, name("function_type")));
        for i in 0..mlirFunctionTypeGetNumInputs(function_type) {
            mlirFuncSetArgAttr(
                op,
                i,
                name("bufferization.writable"),
                mlirBoolAttrGet(ctx, 0),
            );
        }
    }
}

/// The functions the lowered module declares but does not define (other
/// than `malloc`/`free`-like ones from libc), e.g. `memrefCopy` from
/// MLIR's C runner utils.
pub fn external_functions(module: &Module) -> Vec<String> {
    let mut names = Vec::new();
    module.as_operation().walk(WalkOrder::PreOrder, |op| {
        if op.name().as_string_ref().as_str() != Ok("llvm.func") {
            return WalkResult::Advance;
        }
        // SAFETY: llvm.func has one region; a declaration's is empty.
        let declared = unsafe {
            mlirRegionGetFirstBlock(mlirOperationGetRegion(op.to_raw(), 0))
                .ptr
                .is_null()
        };
        if declared {
            names.push(crate::ir::symbol_name(op).unwrap_or_default());
        }
        WalkResult::Skip
    });
    names.retain(|name| !matches!(name.as_str(), "malloc" | "free" | "aligned_alloc"));
    names
}
