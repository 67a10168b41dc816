//! The CPU target: compile a function of an MLIR module with the upstream
//! CPU pipeline and MLIR's ExecutionEngine, then run or time it.
//!
//! ```no_run
//! use chlast::runtime::{self, cpu::CpuProgram, random};
//! let context = runtime::create_context();
//! let program = CpuProgram::compile_file(&context, "model.mlir".as_ref(), None)?;
//! let inputs = random::random_inputs(0, &program.signature().arguments);
//! let outputs = program.run(&inputs)?;
//! # Ok::<(), runtime::RuntimeError>(())
//! ```

use super::{
    RuntimeError,
    cuda::reference,
    diagnostics,
    engine::Engine,
    entry::{self, Signature},
    lowering,
    memref::{self, Descriptor},
    onednn, profile,
    tensor::Tensor,
};
use melior::{
    Context,
    ir::{
        Module,
        attribute::{ArrayAttribute, StringAttribute},
        operation::OperationLike,
    },
};
use std::{
    marker::PhantomData,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// MLIR's C runner utilities (`memrefCopy`, printing helpers), loaded when
/// the lowered code calls functions it does not define.
pub const RUNNER_UTILS: &str = concat!(
    env!("MLIR_SYS_220_PREFIX"),
    "/lib/libmlir_c_runner_utils.so"
);

/// How to compile a program.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// The function to run; `None` picks the only public function.
    pub entry: Option<String>,
    /// LLVM optimization level of the JIT (0 to 3; default 2: on the shared
    /// fixture 3 compiles four times slower and runs no faster).
    pub opt_level: u32,
    /// Shared library providing external functions of the lowered code.
    pub runner_utils: PathBuf,
    /// How convolutions run (default: as loops with everything else).
    pub convs: Convs,
    /// Time every top-level op of the program (`chlast-profile-ops`, read
    /// with [`CpuProgram::op_profile`]).
    pub profile_ops: bool,
}

/// How the CPU target runs convolutions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Convs {
    /// Lowered to loops with the rest of the program (`chlast-run --target
    /// cpu-reference`): the plain reference.
    #[default]
    Loops,
    /// As the CUDA target's cuDNN calls ([`lowering::cudnn_on_cpu_passes`])
    /// run by the CPU reference of [`crate::runtime::cuda::reference`]
    /// (`--target cpu-cudnn`): checks the CUDA lowering's convolutions
    /// without a GPU.
    CudnnReference,
    /// As the same calls run by oneDNN ([`crate::runtime::onednn`],
    /// `--target cpu`): the fast CPU backend.
    OneDnn,
}

impl Convs {
    /// Whether convolutions become `chlast_cudnn_conv` calls.
    pub fn as_calls(self) -> bool {
        self != Convs::Loops
    }

    /// The first error a conv call recorded since the last check.
    fn take_error(self) -> Option<String> {
        match self {
            Convs::Loops => None,
            Convs::CudnnReference => reference::take_error().map(|e| e.to_string()),
            Convs::OneDnn => onednn::take_error(),
        }
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            entry: None,
            opt_level: 2,
            runner_utils: PathBuf::from(RUNNER_UTILS),
            convs: Convs::Loops,
            profile_ops: false,
        }
    }
}

/// A function compiled for the host CPU, ready to run on host tensors.
pub struct CpuProgram<'c> {
    engine: Engine,
    entry: String,
    signature: Signature,
    convs: Convs,
    /// One label per timed op when compiled with `profile_ops`.
    profile_labels: Vec<String>,
    _context: PhantomData<&'c Context>,
}

impl<'c> CpuProgram<'c> {
    /// Parses `module_text` and compiles its function `entry` (default: the
    /// only public one).
    pub fn compile(
        context: &'c Context,
        module_text: &str,
        entry: Option<&str>,
    ) -> Result<Self, RuntimeError> {
        let (module, messages) =
            diagnostics::capture(context, || Module::parse(context, module_text));
        let module = module.ok_or_else(|| RuntimeError::Parse(messages.join("\n")))?;
        let options = CompileOptions {
            entry: entry.map(str::to_string),
            ..Default::default()
        };
        Self::from_module(context, &module, "<input>", &options)
    }

    /// Parses the file at `path` (diagnostics carry its name) and compiles
    /// its function `entry` (default: the only public one).
    pub fn compile_file(
        context: &'c Context,
        path: &Path,
        entry: Option<&str>,
    ) -> Result<Self, RuntimeError> {
        let options = CompileOptions {
            entry: entry.map(str::to_string),
            ..Default::default()
        };
        let module = parse_file(context, path)?;
        Self::from_module(context, &module, &path.display().to_string(), &options)
    }

    /// Compiles a function of `module`, which is left unchanged (the
    /// lowering works on a clone). `source_name` names the module in
    /// errors.
    pub fn from_module(
        context: &'c Context,
        module: &Module<'c>,
        source_name: &str,
        options: &CompileOptions,
    ) -> Result<Self, RuntimeError> {
        if options.convs == Convs::OneDnn {
            onednn::available().map_err(RuntimeError::Library)?;
        }
        let LoweredCpu {
            entry,
            module,
            signature,
            symbols,
            profile_labels,
        } = lower(context, module, source_name, options)?;
        melior::utility::register_all_llvm_translations(context);
        let needs_runner_utils = lowering::external_functions(&module)
            .iter()
            .any(|name| !symbols.iter().any(|(symbol, _)| symbol == name));
        let libraries: Vec<&Path> = if needs_runner_utils && options.runner_utils.exists() {
            vec![options.runner_utils.as_path()]
        } else {
            vec![]
        };
        let (engine, messages) = diagnostics::capture(context, || {
            Engine::with_symbols(&module, options.opt_level, &libraries, &symbols)
        });
        let engine = engine.ok_or_else(|| {
            if messages.is_empty() {
                RuntimeError::Engine {
                    function: entry.clone(),
                }
            } else {
                RuntimeError::Pipeline {
                    stage: "translating to LLVM IR",
                    messages,
                }
            }
        })?;
        let program = CpuProgram {
            engine,
            entry,
            signature,
            convs: options.convs,
            profile_labels,
            _context: PhantomData,
        };
        if !program.engine.has_packed(&program.symbol()) {
            return Err(RuntimeError::Invoke {
                function: program.entry.clone(),
                message: format!("{} was not generated", program.symbol()),
            });
        }
        Ok(program)
    }

    /// The entry function's name.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The entry function's argument and result types.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Runs the function once on `inputs` and returns its results.
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, RuntimeError> {
        self.check_inputs(inputs)?;
        let mut outputs: Vec<Tensor> = self.signature.results.iter().map(Tensor::zeros).collect();
        self.invoke(inputs, &mut outputs)?;
        Ok(outputs)
    }

    /// Runs the function once to warm up, then `iterations` more times,
    /// timing each of those runs.
    pub fn time(&self, inputs: &[Tensor], iterations: usize) -> Result<Timings, RuntimeError> {
        self.check_inputs(inputs)?;
        let mut outputs: Vec<Tensor> = self.signature.results.iter().map(Tensor::zeros).collect();
        self.invoke(inputs, &mut outputs)?;
        let mut runs = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let start = Instant::now();
            self.invoke(inputs, &mut outputs)?;
            runs.push(start.elapsed());
        }
        Ok(Timings { runs })
    }

    /// Runs the function once to warm up, then `iterations` more times,
    /// and returns the time of each op over those runs. Empty unless
    /// compiled with [`CompileOptions::profile_ops`].
    pub fn op_profile(
        &self,
        inputs: &[Tensor],
        iterations: usize,
    ) -> Result<profile::OpProfile, RuntimeError> {
        self.check_inputs(inputs)?;
        let mut outputs: Vec<Tensor> = self.signature.results.iter().map(Tensor::zeros).collect();
        self.invoke(inputs, &mut outputs)?;
        profile::reset();
        for _ in 0..iterations {
            self.invoke(inputs, &mut outputs)?;
        }
        Ok(profile::collect(&self.profile_labels))
    }

    /// Checks that `inputs` match the arguments in number and type.
    pub fn check_inputs(&self, inputs: &[Tensor]) -> Result<(), RuntimeError> {
        entry::check_inputs(&self.entry, &self.signature, inputs)
    }

    fn symbol(&self) -> String {
        format!("_mlir_ciface_{}", self.entry)
    }

    /// Calls `_mlir_ciface_ENTRY(in0*, ..., out0*, ...)`: after
    /// `buffer-results-to-out-params`, results are written into buffers the
    /// caller passes after the arguments.
    fn invoke(&self, inputs: &[Tensor], outputs: &mut [Tensor]) -> Result<(), RuntimeError> {
        let mut descriptors: Vec<Descriptor> = inputs
            .iter()
            // The program does not write its inputs (`bufferization.writable
            // = false`), so handing out a mutable pointer is sound.
            .map(|t| Descriptor::new(t.data.as_ptr() as *mut u8, &t.shape))
            .chain(
                outputs
                    .iter_mut()
                    .map(|t| Descriptor::new(t.data.as_mut_ptr(), &t.shape)),
            )
            .collect();
        // SAFETY: one descriptor per parameter of the C interface (inputs
        // then out-parameters), over live buffers of exactly the
        // signature's shapes and element types (checked by `check_inputs`
        // and by construction for outputs).
        unsafe { memref::invoke_on_descriptors(&self.engine, &self.entry, &mut descriptors) }?;
        match self.convs.take_error() {
            Some(error) => Err(RuntimeError::Invoke {
                function: self.entry.clone(),
                message: match self.convs {
                    Convs::OneDnn => format!("convolution (oneDNN): {error}"),
                    _ => format!("cuDNN call (CPU reference): {error}"),
                },
            }),
            None => Ok(()),
        }
    }
}

/// A function lowered for the host CPU, not yet compiled: what
/// [`CpuProgram`] hands to the JIT and `chlast-compile` to LLVM.
pub struct LoweredCpu<'c> {
    /// The entry function's name.
    pub entry: String,
    /// The module in the LLVM dialect.
    pub module: Module<'c>,
    /// The entry function's argument and result types.
    pub signature: Signature,
    /// The runtime functions the code calls and their addresses in this
    /// process (oneDNN's convolutions, the profile's marks).
    pub symbols: Vec<(&'static str, *mut std::ffi::c_void)>,
    /// One label per timed op when lowered with `profile_ops`.
    pub profile_labels: Vec<String>,
}

/// Lowers a function of `module` (left unchanged: the lowering works on a
/// clone) to the LLVM dialect with the pipeline of `options.convs`.
pub fn lower<'c>(
    context: &Context,
    module: &Module<'c>,
    source_name: &str,
    options: &CompileOptions,
) -> Result<LoweredCpu<'c>, RuntimeError> {
    let (entry, mut module, signature) =
        lowering::materialized_clone(context, module, options.entry.as_deref(), source_name)?;
    lowering::check_tensor_sizes(&module, &entry)?;
    let (mut passes, mut symbols) = match options.convs {
        Convs::Loops => (lowering::cpu_passes(), vec![]),
        Convs::CudnnReference => (lowering::cudnn_on_cpu_passes(), reference::symbols()),
        Convs::OneDnn => (
            lowering::onednn_passes(onednn::openmp::load().is_ok()),
            onednn::symbols(),
        ),
    };
    if options.profile_ops {
        passes = lowering::with_profile(passes);
        symbols.extend(profile::symbols());
    }
    let passes: Vec<&str> = passes.iter().map(String::as_str).collect();
    lowering::lower_to_llvm(context, &mut module, &entry, &passes)?;
    let profile_labels = profile_labels(&module);
    Ok(LoweredCpu {
        entry,
        module,
        signature,
        symbols,
        profile_labels,
    })
}

/// The labels `chlast-profile-ops` left on the module (none when it did
/// not run).
fn profile_labels(module: &Module) -> Vec<String> {
    let Ok(attribute) = module.as_operation().attribute("chlast.profile_ops") else {
        return Vec::new();
    };
    let Ok(array) = ArrayAttribute::try_from(attribute) else {
        return Vec::new();
    };
    (0..array.len())
        .filter_map(|i| array.element(i).ok())
        .filter_map(|element| StringAttribute::try_from(element).ok())
        .map(|label| label.value().to_string())
        .collect()
}

/// Wall-clock times of timed runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    /// One duration per run, in run order.
    pub runs: Vec<Duration>,
}

impl Timings {
    /// The fastest run.
    pub fn min(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or_default()
    }

    /// The median run (the mean of the two middle runs for an even count).
    pub fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        match sorted.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        }
    }
}

impl std::fmt::Display for Timings {
    /// `min 1.234 ms, median 1.301 ms over 10 runs`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "min {:.3} ms, median {:.3} ms over {} runs",
            self.min().as_secs_f64() * 1e3,
            self.median().as_secs_f64() * 1e3,
            self.runs.len()
        )
    }
}

/// Parses the MLIR file at `path`; parse errors carry `path:line:col`.
pub fn parse_file<'c>(context: &'c Context, path: &Path) -> Result<Module<'c>, RuntimeError> {
    // Read first for a clean I/O error; MLIR then re-reads it by name so
    // that locations carry the file name.
    std::fs::metadata(path)
        .and_then(|m| {
            if m.is_dir() {
                Err(std::io::Error::other("is a directory"))
            } else {
                Ok(())
            }
        })
        .and_then(|()| std::fs::File::open(path).map(drop))
        .map_err(|source| RuntimeError::Io {
            path: path.display().to_string(),
            source,
        })?;
    let name = path.to_string_lossy().into_owned();
    let raw_name = crate::ir::string_ref(&name);
    let (module, messages) = diagnostics::capture(context, || {
        // SAFETY: `raw_name` points into `name`, alive for the call; a null
        // module is handled below.
        unsafe {
            Module::from_option_raw(mlir_sys::mlirModuleCreateParseFromFile(
                context.to_raw(),
                raw_name,
            ))
        }
    });
    module.ok_or_else(|| {
        RuntimeError::Parse(if messages.is_empty() {
            format!("{name}: cannot parse")
        } else {
            messages.join("\n")
        })
    })
}

pub(crate) fn clone_module<'c>(module: &Module<'c>) -> Module<'c> {
    // SAFETY: cloning a live module op gives an owned builtin.module.
    unsafe {
        Module::from_raw(mlir_sys::mlirModuleFromOperation(
            mlir_sys::mlirOperationClone(module.as_operation().to_raw()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{
        create_context,
        random::random_inputs,
        tensor::{ElementType, TensorData, TensorSpec},
    };

    /// Doubles its argument in place (`outs(%x)`), returns it twice and a
    /// constant: exercises read-only inputs, duplicate results and results
    /// that are globals.
    const PROGRAM: &str = r#"
      func.func @f(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xi64>) {
        %two = arith.constant 2.0 : f32
        %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                             iterator_types = ["parallel", "parallel"]} outs(%x : tensor<2x3xf32>) {
        ^bb0(%o: f32):
          %d = arith.mulf %o, %two : f32
          linalg.yield %d : f32
        } -> tensor<2x3xf32>
        %c = arith.constant dense<[7, -7]> : tensor<2xi64>
        return %y, %y, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xi64>
      }
    "#;

    #[test]
    fn runs_and_leaves_inputs_alone() {
        let context = create_context();
        let program = CpuProgram::compile(&context, PROGRAM, None).unwrap();
        assert_eq!(program.entry(), "f");
        assert_eq!(
            program.signature().to_string(),
            "(tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xi64>)"
        );
        let input = Tensor {
            shape: vec![2, 3],
            data: TensorData::F32(vec![1.0, 2.0, 3.0, -1.0, -2.0, 0.5]),
        };
        let inputs = vec![input.clone()];
        let doubled = TensorData::F32(vec![2.0, 4.0, 6.0, -2.0, -4.0, 1.0]);
        for _ in 0..2 {
            let outputs = program.run(&inputs).unwrap();
            assert_eq!(outputs[0].data, doubled);
            assert_eq!(outputs[1].data, doubled);
            assert_eq!(outputs[2].data, TensorData::I64(vec![7, -7]));
            assert_eq!(inputs[0], input);
        }
        assert_eq!(program.time(&inputs, 3).unwrap().runs.len(), 3);
    }

    #[test]
    fn rejects_wrong_inputs() {
        let context = create_context();
        let program = CpuProgram::compile(&context, PROGRAM, Some("f")).unwrap();
        let wrong = random_inputs(
            0,
            &[TensorSpec {
                shape: vec![2, 2],
                element: ElementType::F32,
            }],
        );
        let error = program.run(&wrong).unwrap_err().to_string();
        assert_eq!(
            error,
            "argument 0 of @f is tensor<2x3xf32>, but the input is tensor<2x2xf32>"
        );
        assert!(matches!(
            program.run(&[]),
            Err(RuntimeError::InputCount {
                expected: 1,
                given: 0,
                ..
            })
        ));
    }

    #[test]
    fn compile_errors() {
        let context = create_context();
        let error = |text: &str, entry: Option<&str>| {
            CpuProgram::compile(&context, text, entry)
                .err()
                .expect("compilation should fail")
                .to_string()
        };
        assert_eq!(
            error(PROGRAM, Some("g")),
            "no public function @g in <input> (public functions: @f)"
        );
        assert!(
            error("func.func @f() { return %x : f32 }", None)
                .contains("error: use of undeclared SSA value name")
        );
        assert!(
            error(
                "func.func @f(%x: tensor<2xf64>) -> tensor<2xf64> { return %x : tensor<2xf64> }",
                None
            )
            .starts_with("unsupported element type f64 (argument 0 of @f")
        );
        assert!(
            error("func.func @f(%x: memref<2xf32>) { return }", None)
                .contains("only statically shaped ranked tensors are supported")
        );
    }

    #[test]
    fn timings_statistics() {
        let ms = Duration::from_millis;
        let t = Timings {
            runs: vec![ms(5), ms(1), ms(3)],
        };
        assert_eq!(t.min(), ms(1));
        assert_eq!(t.median(), ms(3));
        assert_eq!(t.to_string(), "min 1.000 ms, median 3.000 ms over 3 runs");
        let even = Timings {
            runs: vec![ms(4), ms(1), ms(2), ms(8)],
        };
        assert_eq!(even.median(), ms(3));
    }
}
