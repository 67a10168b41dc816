//! Ahead-of-time compilation (`chlast-compile`): a function lowered for the
//! host CPU exactly as `chlast-run` lowers it ([`crate::runtime::cpu::lower`]),
//! translated to LLVM IR by MLIR, then optimized for the host CPU and
//! written as an object file by LLVM through `inkwell`, with a C header
//! declaring its entry point.
//!
//! ```text
//! model.mlir --lower (cpu pipeline)--> LLVM dialect
//!            --mlirTranslateModuleToLLVMIR--> llvm::Module (inkwell)
//!            --default<O2> for the host CPU--> model.o + model.h
//! ```
//!
//! The object defines `_mlir_ciface_ENTRY` (MLIR's C interface: one memref
//! descriptor pointer per argument, then one per result, which the caller
//! allocates) and `ENTRY` itself. What it needs at link time depends on the
//! target: `cpu-reference` code calls only libm (and, for strided copies,
//! MLIR's `libmlir_c_runner_utils`); `cpu` code calls `chlast_cudnn_conv`
//! (the convolutions, on oneDNN in `chlast-run`) and LLVM's OpenMP runtime.
//! [`Compiled::external_functions`] lists them.
//!
//! [`compile_cuda`] does the same with the CUDA target's lowering
//! ([`LoweredCuda`]): the PTX kernels go into the object as a constant
//! that its constructor loads (MLIR's `gpu.binary` translation), the
//! weights are uploaded by another constructor, and the host code calls
//! `libchlast_cuda_runtime.so` (`cuda-runtime/`); the entry point's
//! buffers are device memory.

use crate::runtime::{
    RuntimeError,
    cpu::{self, CompileOptions, LoweredCpu},
    cuda_program::{CudaOptions, LoweredCuda},
    entry::Signature,
    lowering,
    tensor::ElementType,
};
use inkwell::{
    OptimizationLevel,
    attributes::AttributeLoc,
    context::Context as LlvmContext,
    module::Module as LlvmModule,
    passes::PassBuilderOptions,
    targets::{CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine},
};
use melior::{Context, ir::Module};
use std::{fmt::Write as _, fs, path::Path};

/// What was compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The entry function's name (the object defines `_mlir_ciface_` + it).
    pub entry: String,
    /// Its argument and result types.
    pub signature: Signature,
    /// Functions the object calls but does not define (to link against).
    pub external_functions: Vec<String>,
}

/// Where the outputs go.
#[derive(Debug, Clone, Copy)]
pub struct Outputs<'a> {
    /// The object file.
    pub object: &'a Path,
    /// The C header declaring the entry point, if wanted.
    pub header: Option<&'a Path>,
    /// The optimized LLVM IR as text, if wanted.
    pub llvm_ir: Option<&'a Path>,
}

/// Lowers a function of `module` with `options` (its target's pipeline,
/// entry and optimization level), optimizes it for the host CPU and writes
/// `outputs`. Each file is written to a temporary name first and renamed,
/// so that a failure leaves no partial output.
pub fn compile(
    context: &Context,
    module: &Module,
    source_name: &str,
    options: &CompileOptions,
    outputs: Outputs,
) -> Result<Compiled, RuntimeError> {
    let LoweredCpu {
        entry,
        module: lowered,
        signature,
        ..
    } = cpu::lower(context, module, source_name, options)?;
    let link = "Link with the object (and, for --target cpu, with\n   \
                libchlast_cpu_runtime.so from `make runtime` and LLVM's libomp:\n   \
                -lchlast_cpu_runtime -lomp; see cpu-runtime/chlast_cpu_runtime.h).";
    emit(
        context,
        &lowered,
        entry,
        signature,
        source_name,
        options.opt_level,
        outputs,
        link,
    )
}

/// Like [`compile`] with the CUDA target's lowering (`options.chip`): the
/// object holds the PTX kernels and calls `libchlast_cuda_runtime.so`; the
/// entry point's arguments and results are device buffers
/// (`chlast_cuda_alloc`).
pub fn compile_cuda(
    context: &Context,
    module: &Module,
    source_name: &str,
    options: &CudaOptions,
    opt_level: u32,
    outputs: Outputs,
) -> Result<Compiled, RuntimeError> {
    let lowered = LoweredCuda::lower(context, module, source_name, options)?;
    let (entry, signature) = (lowered.entry().to_string(), lowered.signature().clone());
    let link = "Every buffer passed to it is device memory (chlast_cuda_alloc); link\n   \
                with libchlast_cuda_runtime.so (`make runtime`: -lchlast_cuda_runtime,\n   \
                see cuda-runtime/chlast_cuda_runtime.h).";
    emit(
        context,
        lowered.module(),
        entry,
        signature,
        source_name,
        opt_level,
        outputs,
        link,
    )
}

/// Translates the lowered LLVM-dialect `lowered` to LLVM IR, optimizes it
/// for the host CPU at `opt_level` and writes `outputs` (the header with
/// `link` in its opening comment).
#[allow(clippy::too_many_arguments)]
fn emit(
    context: &Context,
    lowered: &Module,
    entry: String,
    signature: Signature,
    source_name: &str,
    opt_level: u32,
    outputs: Outputs,
    link: &str,
) -> Result<Compiled, RuntimeError> {
    melior::utility::register_all_llvm_translations(context);
    let external_functions = lowering::external_functions(lowered);

    let llvm = LlvmContext::create();
    // SAFETY: `lowered` is a live module in the LLVM dialect with its
    // translations registered; `llvm` outlives the returned module, which
    // the inkwell wrapper below owns (and frees) from here on. mlir-sys and
    // inkwell name the same C type (LLVMContextRef / LLVMModuleRef) in two
    // bindings, hence the pointer casts.
    let raw = unsafe {
        mlir_sys::mlirTranslateModuleToLLVMIR(
            lowered.as_operation().to_raw(),
            llvm.raw() as mlir_sys::LLVMContextRef,
        )
    };
    if raw.is_null() {
        return Err(aot_error(
            "translating to LLVM IR",
            "the translation failed",
        ));
    }
    // SAFETY: a module created in `llvm` and owned by no one else.
    let llvm_module = unsafe { LlvmModule::new(raw as _) };

    let machine = host_machine(opt_level)?;
    // The CPU on every function too, so that LLVM's optimizations (the
    // vectorizers' cost models) plan for it, not only code generation.
    let cpu = machine.get_cpu().to_string();
    let features = machine.get_feature_string().to_string_lossy().into_owned();
    for function in llvm_module.get_functions() {
        if function.count_basic_blocks() > 0 {
            for (key, value) in [("target-cpu", cpu.as_str()), ("target-features", &features)] {
                function.add_attribute(
                    AttributeLoc::Function,
                    llvm.create_string_attribute(key, value),
                );
            }
        }
    }
    llvm_module.set_triple(&machine.get_triple());
    llvm_module.set_data_layout(&machine.get_target_data().get_data_layout());
    llvm_module
        .verify()
        .map_err(|e| aot_error("verifying the LLVM IR", &e.to_string()))?;
    llvm_module
        .run_passes(
            &format!("default<O{}>", opt_level.min(3)),
            &machine,
            PassBuilderOptions::create(),
        )
        .map_err(|e| aot_error("optimizing", &e.to_string()))?;

    write_atomically(outputs.object, |path| {
        machine
            .write_to_file(&llvm_module, FileType::Object, path)
            .map_err(|e| e.to_string())
    })?;
    if let Some(path) = outputs.llvm_ir {
        write_atomically(path, |temp| {
            llvm_module.print_to_file(temp).map_err(|e| e.to_string())
        })?;
    }
    if let Some(path) = outputs.header {
        let text = c_header(&entry, &signature, source_name, link);
        write_atomically(path, |temp| {
            fs::write(temp, &text).map_err(|e| e.to_string())
        })?;
    }
    Ok(Compiled {
        entry,
        signature,
        external_functions,
    })
}

/// A target machine for the host CPU (its name and features, so that the
/// object uses AVX2/AVX-512 where the compiling machine has them).
fn host_machine(opt_level: u32) -> Result<TargetMachine, RuntimeError> {
    Target::initialize_native(&InitializationConfig::default())
        .map_err(|e| aot_error("initializing LLVM's native target", &e))?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple)
        .map_err(|e| aot_error("finding the target", &e.to_string()))?;
    let level = match opt_level {
        0 => OptimizationLevel::None,
        1 => OptimizationLevel::Less,
        2 => OptimizationLevel::Default,
        _ => OptimizationLevel::Aggressive,
    };
    target
        .create_target_machine(
            &triple,
            &TargetMachine::get_host_cpu_name().to_string(),
            &TargetMachine::get_host_cpu_features().to_string(),
            level,
            // Position-independent, so that the object can also go into a
            // shared library.
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| aot_error("creating the target machine", "LLVM refused the host CPU"))
}

fn aot_error(stage: &'static str, message: &str) -> RuntimeError {
    RuntimeError::Pipeline {
        stage,
        messages: vec![message.to_string()],
    }
}

/// Writes `path` through `write(temporary path)`, then renames it into
/// place; on failure removes the temporary file and reports the path.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), RuntimeError> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".chlast-partial");
    let temp = Path::new(&temp);
    let result = write(temp).and_then(|()| fs::rename(temp, path).map_err(|e| e.to_string()));
    if let Err(message) = result {
        let _ = fs::remove_file(temp);
        return Err(RuntimeError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(message),
        });
    }
    Ok(())
}

/// The C type of one element.
fn c_element(element: ElementType) -> &'static str {
    match element {
        ElementType::F32 => "float",
        // Raw bits: C has no portable half or bfloat type.
        ElementType::F16 | ElementType::BF16 => "uint16_t",
        ElementType::I32 => "int32_t",
        ElementType::I64 => "int64_t",
    }
}

/// A C header declaring `_mlir_ciface_ENTRY` with one memref descriptor
/// struct per element type and rank used.
/// `link` goes into its opening comment (what to link with).
pub fn c_header(entry: &str, signature: &Signature, source_name: &str, link: &str) -> String {
    let guard: String = format!("CHLAST_{entry}_H")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let struct_name = |spec: &crate::runtime::tensor::TensorSpec| {
        format!("chlast_memref_{}_{}d", spec.element, spec.shape.len())
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "/* Generated by chlast-compile from {source_name}: the entry point of the\n   \
         object file. {link} */"
    );
    let _ = writeln!(
        text,
        "#ifndef {guard}\n#define {guard}\n\n#include <stdint.h>\n"
    );
    let _ = writeln!(text, "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n");
    let mut declared = Vec::new();
    for spec in signature.arguments.iter().chain(&signature.results) {
        let name = struct_name(spec);
        if declared.contains(&name) {
            continue;
        }
        let element = c_element(spec.element);
        let rank = spec.shape.len();
        let _ = write!(
            text,
            "/* A ranked memref descriptor (MLIR's C interface), {} {rank}-D. */\n\
             typedef struct {{\n  {element} *allocated;\n  {element} *aligned;\n  int64_t offset;\n",
            spec.element
        );
        if rank > 0 {
            let _ = write!(
                text,
                "  int64_t sizes[{rank}];\n  int64_t strides[{rank}];\n"
            );
        }
        let _ = writeln!(text, "}} {name};\n");
        declared.push(name);
    }
    let mut parameters = Vec::new();
    for (i, spec) in signature.arguments.iter().enumerate() {
        parameters.push(format!("{} *arg{i} /* {} */", struct_name(spec), spec));
    }
    for (i, spec) in signature.results.iter().enumerate() {
        parameters.push(format!(
            "{} *result{i} /* {}, filled by the call */",
            struct_name(spec),
            spec
        ));
    }
    let _ = writeln!(
        text,
        "/* Runs {entry}: inputs first, then the results' buffers, which the\n   \
         caller allocates (identity layout: offset 0, row-major strides). */\n\
         void _mlir_ciface_{entry}({});\n",
        if parameters.is_empty() {
            "void".to_string()
        } else {
            format!("\n    {}", parameters.join(",\n    "))
        }
    );
    let _ = writeln!(
        text,
        "#ifdef __cplusplus\n}}\n#endif\n\n#endif /* {guard} */"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::tensor::TensorSpec;

    #[test]
    fn header_declares_one_struct_per_type_and_the_entry() {
        let signature = Signature {
            arguments: vec![
                TensorSpec {
                    shape: vec![1, 4, 8, 8],
                    element: ElementType::F32,
                },
                TensorSpec {
                    shape: vec![],
                    element: ElementType::I64,
                },
            ],
            results: vec![TensorSpec {
                shape: vec![1, 8, 8, 4],
                element: ElementType::F32,
            }],
        };
        let header = c_header("main_graph", &signature, "model.mlir", "Link with it.");
        assert_eq!(header.matches("} chlast_memref_f32_4d;").count(), 1);
        assert!(header.contains("int64_t sizes[4];"));
        assert!(header.contains("} chlast_memref_i64_0d;"));
        assert!(!header.contains("sizes[0]"));
        assert!(header.contains("void _mlir_ciface_main_graph(\n    chlast_memref_f32_4d *arg0"));
        assert!(header.contains("chlast_memref_f32_4d *result0"));
        assert!(header.contains("#ifndef CHLAST_MAIN_GRAPH_H"));
    }
}
