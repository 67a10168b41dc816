//! The CUDA target: lower a function with `chlast-lower-to-cuda`, inspect
//! what came out (PTX modules, cuDNN conv specs, statistics), and run it on
//! a GPU through [`super::cuda`].
//!
//! Lowering and inspection need no GPU and no CUDA installation; running
//! needs an NVIDIA driver (`libcuda.so.1`) and cuDNN 9 (`libcudnn.so.9`).
//!
//! ```no_run
//! use chlast::runtime::{self, cuda_program::{CudaOptions, LoweredCuda}};
//! let context = runtime::create_context();
//! let module = runtime::cpu::parse_file(&context, "model.mlir".as_ref())?;
//! let lowered = LoweredCuda::lower(&context, &module, "model.mlir", &CudaOptions::default())?;
//! for ptx in lowered.ptx_modules() {
//!     println!("{}: {} bytes of PTX", ptx.name, ptx.text.len());
//! }
//! # Ok::<(), runtime::RuntimeError>(())
//! ```

use super::{
    RuntimeError, compare,
    cpu::Timings,
    cuda::{self, CudaRuntime},
    diagnostics,
    engine::Engine,
    entry::{self, Signature},
    lowering,
    memref::{self, Descriptor},
    tensor::Tensor,
};
use melior::{
    Context,
    ir::{
        Module,
        operation::{OperationLike, WalkOrder, WalkResult},
    },
    pass::PassManager,
};
use mlir_sys::*;

/// How to lower for CUDA.
#[derive(Debug, Clone)]
pub struct CudaOptions {
    /// The function to lower and run; `None` picks the only public one.
    pub entry: Option<String>,
    /// GPU architecture (`sm_80`, `sm_86`, `sm_89`, `sm_90`, ...).
    pub chip: String,
    /// Where `chlast-lower-to-cuda` writes its JSON statistics (`-` for
    /// stderr), if anywhere.
    pub stats: Option<String>,
}

impl Default for CudaOptions {
    fn default() -> Self {
        CudaOptions {
            entry: None,
            chip: "sm_80".to_string(),
            stats: None,
        }
    }
}

impl CudaOptions {
    /// The `chlast-lower-to-cuda{...}` pipeline element for these options.
    pub fn pipeline_element(&self) -> String {
        let mut options = format!("chip={}", self.chip);
        if let Some(stats) = &self.stats {
            options.push_str(&format!(" stats={stats}"));
        }
        format!("chlast-lower-to-cuda{{{options}}}")
    }
}

/// The PTX text of one `gpu.binary` object.
#[derive(Debug, Clone, PartialEq)]
pub struct PtxModule {
    /// The `gpu.binary` symbol (one per outlined kernel module).
    pub name: String,
    /// PTX assembly, as `ptxas` takes it.
    pub text: String,
}

/// One `chlast_cudnn_conv` call site's descriptor spec (see
/// `chlast-c/ConvSpec.h` for the layout).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvSite {
    /// The spec global's symbol.
    pub name: String,
    /// The 40 values.
    pub spec: Vec<i64>,
}

/// A module lowered by `chlast-lower-to-cuda`: LLVM-dialect host code with
/// `gpu.binary` PTX objects.
pub struct LoweredCuda<'c> {
    context: &'c Context,
    module: Module<'c>,
    entry: String,
    signature: Signature,
}

impl<'c> LoweredCuda<'c> {
    /// Lowers the function `options.entry` of `module` (left unchanged: the
    /// lowering works on a clone). `source_name` names the module in errors.
    pub fn lower(
        context: &'c Context,
        module: &Module<'c>,
        source_name: &str,
        options: &CudaOptions,
    ) -> Result<Self, RuntimeError> {
        let (entry, mut module, signature) =
            lowering::materialized_clone(context, module, options.entry.as_deref(), source_name)?;
        lowering::check_tensor_sizes(&module, &entry)?;
        lowering::prepare_entry(context, &module, &entry);
        let manager = PassManager::new(context);
        melior::utility::parse_pass_pipeline(
            manager.as_operation_pass_manager(),
            &format!("builtin.module({})", options.pipeline_element()),
        )
        .map_err(|error| RuntimeError::Pipeline {
            stage: "building the CUDA pipeline",
            messages: vec![error.to_string()],
        })?;
        let (result, messages) = diagnostics::capture(context, || manager.run(&mut module));
        if result.is_err() {
            return Err(RuntimeError::Pipeline {
                stage: "lowering to CUDA",
                messages,
            });
        }
        Ok(LoweredCuda {
            context,
            module,
            entry,
            signature,
        })
    }

    /// The lowered module.
    pub fn module(&self) -> &Module<'c> {
        &self.module
    }

    /// The entry function's name.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The entry function's argument and result types (before lowering).
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The PTX of every `gpu.binary` object, in module order.
    pub fn ptx_modules(&self) -> Vec<PtxModule> {
        let mut modules = Vec::new();
        self.walk_named("gpu.binary", |op| {
            // SAFETY: gpu.binary has an `objects` array of #gpu.object attrs;
            // every attribute read here is checked before use.
            unsafe {
                let name = symbol_name(op);
                let objects = mlirOperationGetAttributeByName(op, string_ref("objects"));
                if objects.ptr.is_null() || !mlirAttributeIsAArray(objects) {
                    return;
                }
                for i in 0..mlirArrayAttrGetNumElements(objects) {
                    let object = mlirArrayAttrGetElement(objects, i);
                    if mlirAttributeIsAGPUObjectAttr(object) {
                        modules.push(PtxModule {
                            name: name.clone(),
                            text: super::entry::string_of(mlirGPUObjectAttrGetObject(object)),
                        });
                    }
                }
            }
        });
        modules
    }

    /// The descriptor spec of every cuDNN conv call, in module order.
    pub fn conv_sites(&self) -> Vec<ConvSite> {
        let mut sites = Vec::new();
        self.walk_named("llvm.mlir.global", |op| {
            // SAFETY: llvm.mlir.global has `sym_name` and an optional
            // `value`; the value is only read when it is a dense i64 array.
            unsafe {
                let name = symbol_name(op);
                if !name.starts_with("__chlast_cudnn_conv_spec") {
                    return;
                }
                let value = mlirOperationGetAttributeByName(op, string_ref("value"));
                if value.ptr.is_null()
                    || !mlirAttributeIsADenseElements(value)
                    || !mlirTypeIsAInteger(mlirShapedTypeGetElementType(mlirAttributeGetType(
                        value,
                    )))
                {
                    return;
                }
                let spec = (0..mlirElementsAttrGetNumElements(value) as isize)
                    .map(|i| mlirDenseElementsAttrGetInt64Value(value, i))
                    .collect();
                sites.push(ConvSite { name, spec });
            }
        });
        sites
    }

    /// JIT-compiles the host code with the CUDA runtime's entry points
    /// (no GPU needed): fails when the host code calls a function the
    /// runtime does not provide or does not translate to LLVM IR. Global
    /// constructors run; without a driver, the runtime records (and this
    /// discards) their errors.
    pub fn check_host_link(&self, opt_level: u32) -> Result<(), RuntimeError> {
        let symbols = cuda::symbols();
        let (engine, messages) = diagnostics::capture(self.context, || {
            Engine::with_symbols(&self.module, opt_level, &[], &symbols)
        });
        let _ = cuda::take_error();
        let engine = engine.ok_or(RuntimeError::Pipeline {
            stage: "translating the CUDA host code to LLVM IR",
            messages,
        })?;
        let symbol = format!("_mlir_ciface_{}", self.entry);
        if !engine.has_packed(&symbol) {
            return Err(RuntimeError::Invoke {
                function: self.entry.clone(),
                message: format!("{symbol} was not generated or does not link"),
            });
        }
        Ok(())
    }

    fn walk_named(&self, name: &str, mut visit: impl FnMut(MlirOperation)) {
        self.module.as_operation().walk(WalkOrder::PreOrder, |op| {
            if op.name().as_string_ref().as_str() == Ok(name) {
                visit(op.to_raw());
            }
            WalkResult::Advance
        });
    }
}

use crate::ir::string_ref;

/// The `sym_name` of the live op `op`, or "" when it has none.
///
/// # Safety
///
/// `op` must be a live operation.
unsafe fn symbol_name(op: MlirOperation) -> String {
    // SAFETY: forwarded.
    crate::ir::symbol_name(unsafe { melior::ir::OperationRef::from_raw(op) }).unwrap_or_default()
}

/// A lowered function JIT-compiled for the host with the CUDA runtime's
/// entry points, ready to run on the GPU.
pub struct CudaProgram<'c> {
    lowered: LoweredCuda<'c>,
    engine: Engine,
    runtime: CudaRuntime,
}

impl<'c> CudaProgram<'c> {
    /// Opens the GPU (clear errors when there is no driver, no device or no
    /// cuDNN while the program calls it) and JIT-compiles the host code at
    /// `opt_level`.
    pub fn new(lowered: LoweredCuda<'c>, opt_level: u32) -> Result<Self, RuntimeError> {
        let runtime = CudaRuntime::open()?;
        if !lowered.conv_sites().is_empty() {
            cuda::cudnn::load_cudnn()?;
        }
        let symbols = runtime.symbols();
        let (engine, messages) = diagnostics::capture(lowered.context, || {
            Engine::with_symbols(&lowered.module, opt_level, &[], &symbols)
        });
        let engine = engine.ok_or(RuntimeError::Pipeline {
            stage: "translating the CUDA host code to LLVM IR",
            messages,
        })?;
        if let Some(error) = cuda::take_error() {
            return Err(error.into());
        }
        Ok(CudaProgram {
            lowered,
            engine,
            runtime,
        })
    }

    /// The lowered program.
    pub fn lowered(&self) -> &LoweredCuda<'c> {
        &self.lowered
    }

    /// The GPU's name.
    pub fn device_name(&self) -> &str {
        self.runtime.device_name()
    }

    /// Runs the function once on `inputs` (copied to device memory) and
    /// returns its results (copied back).
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, RuntimeError> {
        let (buffers, mut outputs) = self.buffers_for(inputs)?;
        buffers.invoke(self)?;
        self.runtime.synchronize()?;
        buffers.copy_out(&mut outputs)?;
        Ok(outputs)
    }

    /// Runs once to warm up, then `iterations` timed runs on inputs already
    /// on the device: each time is the device time of one whole run (CUDA
    /// events around it on the runtime's stream), copies in and out left
    /// out.
    pub fn time(&self, inputs: &[Tensor], iterations: usize) -> Result<Timings, RuntimeError> {
        let (buffers, _) = self.buffers_for(inputs)?;
        buffers.invoke(self)?;
        self.runtime.synchronize()?;
        let mut runs = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            runs.push(self.runtime.device_time(|| buffers.invoke(self))?);
            self.runtime.synchronize()?;
        }
        Ok(Timings { runs })
    }

    /// Captures one run on inputs already on the device as a CUDA graph
    /// (after a warm-up run, so cuDNN's plans and workspace exist), replays
    /// it once and compares its outputs with a plain run's (`check`), then
    /// times `iterations` replays (device time, CUDA events). A run that
    /// cannot be captured is [`GraphTimings::NotCaptured`] with the reason.
    pub fn time_graph(
        &self,
        inputs: &[Tensor],
        iterations: usize,
    ) -> Result<GraphTimings, RuntimeError> {
        let (buffers, mut outputs) = self.buffers_for(inputs)?;
        buffers.invoke(self)?;
        self.runtime.synchronize()?;
        let mut expected = outputs.clone();
        buffers.copy_out(&mut expected)?;
        // Zero the outputs, so that the check sees what the replay wrote.
        buffers.zero_outputs()?;
        let graph = match self.runtime.capture_graph(|| buffers.invoke(self)) {
            Ok(graph) => graph,
            Err(reason) => {
                self.runtime.synchronize()?;
                return Ok(GraphTimings::NotCaptured(reason));
            }
        };
        graph.launch()?;
        self.runtime.synchronize()?;
        buffers.copy_out(&mut outputs)?;
        let check = expected
            .iter()
            .zip(&outputs)
            .map(|(e, o)| {
                let tolerance = compare::Tolerance::default_for(e.data.element_type());
                compare::compare(e, o, tolerance)
            })
            .collect();
        let mut runs = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            runs.push(self.runtime.device_time(|| graph.launch())?);
        }
        self.runtime.synchronize()?;
        Ok(GraphTimings::Replayed {
            timings: Timings { runs },
            check,
        })
    }
}

impl CudaProgram<'_> {
    /// Checks `inputs` and copies them, and zeroed outputs, to device
    /// memory; also returns the host outputs to copy results into.
    fn buffers_for(
        &self,
        inputs: &[Tensor],
    ) -> Result<(DeviceBuffers<'_>, Vec<Tensor>), RuntimeError> {
        let lowered = &self.lowered;
        entry::check_inputs(&lowered.entry, &lowered.signature, inputs)?;
        let outputs: Vec<Tensor> = lowered
            .signature
            .results
            .iter()
            .map(Tensor::zeros)
            .collect();
        Ok((
            DeviceBuffers::new(&self.runtime, inputs, &outputs)?,
            outputs,
        ))
    }
}

/// Timed replays of a run captured as a CUDA graph
/// ([`CudaProgram::time_graph`]).
#[derive(Debug)]
pub enum GraphTimings {
    /// The replays' device times, and the first replay's outputs compared
    /// with a plain run's.
    Replayed {
        /// Device time of each replay.
        timings: Timings,
        /// Per output, the replay against the plain run.
        check: Vec<compare::Report>,
    },
    /// Why the run could not be captured.
    NotCaptured(String),
}

/// Device copies of a call's inputs and outputs.
struct DeviceBuffers<'r> {
    runtime: &'r CudaRuntime,
    /// (pointer, bytes, shape) per argument, inputs then outputs.
    buffers: Vec<(*mut u8, usize, Vec<usize>)>,
    inputs: usize,
}

impl<'r> DeviceBuffers<'r> {
    /// Device buffers for `inputs` (copied in) and `outputs` (zeroed).
    fn new(
        runtime: &'r CudaRuntime,
        inputs: &[Tensor],
        outputs: &[Tensor],
    ) -> Result<Self, RuntimeError> {
        let mut this = DeviceBuffers {
            runtime,
            buffers: Vec::new(),
            inputs: inputs.len(),
        };
        for (i, tensor) in inputs.iter().chain(outputs).enumerate() {
            let bytes = tensor.data.len() * tensor.data.element_type().size_bytes();
            let pointer = runtime.alloc_device(bytes)?;
            this.buffers.push((pointer, bytes, tensor.shape.clone()));
            if i < inputs.len() {
                // SAFETY: `pointer` holds `bytes` bytes of device memory;
                // the tensor holds exactly `bytes` bytes and outlives the
                // synchronization below.
                unsafe { runtime.copy_to_device(pointer, tensor.data.as_ptr(), bytes) }?;
            }
        }
        this.zero_outputs()?;
        runtime.synchronize()?;
        Ok(this)
    }

    /// Queues one run of the program on the buffers (the caller
    /// synchronizes).
    fn invoke(&self, program: &CudaProgram) -> Result<(), RuntimeError> {
        let mut descriptors: Vec<Descriptor> = self
            .buffers
            .iter()
            .map(|(pointer, _, shape)| Descriptor::new(*pointer, shape))
            .collect();
        // SAFETY: one descriptor per parameter of the C interface (inputs
        // then out-parameters), each over a live device buffer of the
        // signature's shape and element type; the host code only passes
        // the buffers on to kernels and cuDNN (chlast-check-host-memory).
        unsafe {
            memref::invoke_on_descriptors(&program.engine, &program.lowered.entry, &mut descriptors)
        }?;
        Ok(())
    }

    /// Queues zeroing the outputs.
    fn zero_outputs(&self) -> Result<(), RuntimeError> {
        for (pointer, bytes, _) in &self.buffers[self.inputs..] {
            // SAFETY: a live device buffer of `bytes` bytes.
            unsafe { self.runtime.zero(*pointer, *bytes) }?;
        }
        Ok(())
    }

    /// Copies the outputs back (after a synchronized run).
    fn copy_out(&self, outputs: &mut [Tensor]) -> Result<(), RuntimeError> {
        for ((pointer, bytes, _), tensor) in self.buffers[self.inputs..].iter().zip(outputs) {
            // SAFETY: both sides hold `bytes` bytes; the tensor is read
            // only after the synchronization below.
            unsafe {
                self.runtime
                    .copy_to_host(tensor.data.as_mut_ptr(), *pointer, *bytes)
            }?;
        }
        self.runtime.synchronize()?;
        Ok(())
    }
}

impl Drop for DeviceBuffers<'_> {
    fn drop(&mut self) {
        for (pointer, _, _) in &self.buffers {
            // SAFETY: allocated by `alloc_device`, freed once, in stream
            // order after the work that used it.
            let _ = unsafe { self.runtime.free(*pointer) };
        }
    }
}
