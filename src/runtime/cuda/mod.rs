//! The CUDA target's runtime: what the host code of a program lowered for
//! NVIDIA GPUs calls while it runs in MLIR's ExecutionEngine.
//!
//! The lowering (`--chlast-lower-to-cuda`) produces LLVM-dialect host code
//! that calls
//!
//! - MLIR's GPU runtime ABI, `mgpu*` functions, emitted by `gpu-to-llvm` and
//!   by the translation of `gpu.binary` (PTX text, `format = isa`, JIT
//!   compiled by the driver when the module is loaded);
//! - `_mlir_memref_to_llvm_alloc` and friends
//!   (`finalize-memref-to-llvm{use-generic-functions}`): every buffer is
//!   device memory, allocated and freed in order on the runtime's one
//!   stream; the host code only passes buffers to kernels and cuDNN, never
//!   reads them;
//! - `chlast_device_constant`, called once per constant (weights, biases)
//!   by the program's global constructor when it is loaded: the constants
//!   stay resident on the device until the program is dropped;
//! - `chlast_cudnn_conv`, one call per convolution handed to cuDNN, with a
//!   [`spec::ConvSpec`] describing it.
//!
//! Nothing here is linked against CUDA: [`cudarc`] loads `libcuda.so.1`
//! and `libcudnn.so.9` at run time, so building (and every test) works
//! without CUDA. Before the first call into a library, its presence is
//! checked and a [`CudaError`] returned instead of cudarc's panic.
//!
//! cuDNN 9 is looked up as follows: if `CHLAST_CUDNN_LIB` is set, that file
//! is loaded first (globally, by its full path; the sub-libraries next to it
//! are found through its `$ORIGIN` rpath), and cudarc's later load by name
//! resolves to it; otherwise the dynamic loader's usual search applies
//! (`LD_LIBRARY_PATH`, `ldconfig`'s cache), e.g.
//! `LD_LIBRARY_PATH=/opt/chlast-cuda/nvidia/cudnn/lib` for the pip wheel's
//! layout. A `libcudnn.so` (unversioned) on the loader's path is tried
//! before `libcudnn.so.9` by cudarc; when it is another library than
//! `CHLAST_CUDNN_LIB`, or not cuDNN 9, loading fails with a clear error.
//!
//! Use:
//!
//! 1. [`CudaRuntime::open`] initializes the driver and makes device 0's
//!    primary context current (errors: no driver, no device);
//! 2. [`CudaRuntime::symbols`] gives every entry point's name and address,
//!    to register into the ExecutionEngine (`mlirExecutionEngineRegisterSymbol`)
//!    before the module's constructors run (they load the PTX);
//! 3. inputs are copied into [`CudaRuntime::alloc_device`] buffers
//!    ([`CudaRuntime::copy_to_device`]), outputs out of them;
//! 4. after each call into the compiled code, [`CudaRuntime::synchronize`]
//!    waits for the stream and reports [`take_error`]: the entry points
//!    cannot return errors through the C ABI, so they record the first one
//!    instead (and skip later launches and cuDNN calls).
//!
//! Modules: [`spec`] (the convolution description), [`cudnn`] (descriptors,
//! algorithm choice and execution), [`driver`] (the C entry points and the
//! global state), [`mod@reference`] (a CPU reference of the convolution call,
//! to check the lowering without a GPU).

pub mod cudnn;
pub mod driver;
pub mod reference;
pub mod spec;

use std::ffi::c_void;

pub use driver::{SYNC_EACH_ENV, Uploads, symbols, take_error, uploads};
pub use spec::ConvSpec;

/// Environment variable naming the full path of `libcudnn.so.9`.
pub const CUDNN_LIB_ENV: &str = "CHLAST_CUDNN_LIB";

/// What can go wrong in the CUDA runtime; each message can be printed as
/// `chlast-run: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaError {
    /// `libcuda.so.1` cannot be loaded.
    #[error(
        "no CUDA driver: libcuda.so.1 not found; the CUDA target needs an NVIDIA GPU and driver"
    )]
    DriverNotFound,
    /// The driver loads but reports no device.
    #[error("no CUDA device: the driver found no GPU (cuDeviceGetCount returned 0)")]
    NoDevice,
    /// `mgpuSetDefaultDevice` named a device that does not exist, or came
    /// after another device was opened.
    #[error("CUDA device {requested} cannot be used: {reason}")]
    BadDevice {
        /// The ordinal asked for.
        requested: i32,
        /// Why not.
        reason: String,
    },
    /// `libcudnn.so.9` cannot be loaded.
    #[error(
        "libcudnn.so.9 not found; install cuDNN 9 or set CHLAST_CUDNN_LIB{}",
        detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    CudnnNotFound {
        /// More about the failure, e.g. the loader's message for the path
        /// in `CHLAST_CUDNN_LIB`.
        detail: Option<String>,
    },
    /// The cuDNN found is not version 9.
    #[error(
        "cuDNN {found} was loaded, but cuDNN 9 is needed; install cuDNN 9 or set CHLAST_CUDNN_LIB"
    )]
    CudnnVersion {
        /// The version, `major.minor.patch`.
        found: String,
    },
    /// A CUDA driver call failed.
    #[error("CUDA driver call {function} failed with {status}")]
    Driver {
        /// The driver function, e.g. `cuMemAllocAsync`.
        function: &'static str,
        /// The status name, e.g. `CUDA_ERROR_OUT_OF_MEMORY`.
        status: String,
    },
    /// The driver could not JIT-compile the program's PTX.
    #[error(
        "the CUDA driver could not compile the PTX kernels ({status}){}",
        log_suffix(log)
    )]
    Jit {
        /// The status name of `cuModuleLoadDataEx`.
        status: String,
        /// The JIT's error log.
        log: String,
    },
    /// A cuDNN call failed.
    #[error("cuDNN call {function} failed with {status}")]
    Cudnn {
        /// The cuDNN function, e.g. `cudnnConvolutionForward`.
        function: &'static str,
        /// The status name, e.g. `CUDNN_STATUS_BAD_PARAM`.
        status: String,
    },
    /// A convolution spec is malformed or inconsistent.
    #[error("bad cuDNN convolution spec: {0}")]
    BadSpec(String),
    /// An entry point got an argument it cannot use.
    #[error("{function}: {message}")]
    BadArgument {
        /// The entry point, e.g. `mgpuLaunchKernel`.
        function: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A panic was caught at the C ABI boundary (a bug, or cudarc failing to
    /// find a symbol in the loaded library).
    #[error("internal error in {function}: {message}")]
    Panic {
        /// The entry point.
        function: &'static str,
        /// The panic's message.
        message: String,
    },
}

fn log_suffix(log: &str) -> String {
    let log = log.trim();
    if log.is_empty() {
        String::new()
    } else {
        format!(":\n{log}")
    }
}

/// The opened CUDA device: device 0 (or the one chosen by
/// `mgpuSetDefaultDevice` before the first use), its primary context
/// current on the calling thread. Every entry point makes that context
/// current on its own thread, so the runner may call from any thread.
#[derive(Debug, Clone)]
pub struct CudaRuntime {
    ordinal: i32,
    name: String,
}

impl CudaRuntime {
    /// Loads the driver, initializes it, and makes the default device's
    /// primary context current. Repeated calls share one context.
    pub fn open() -> Result<CudaRuntime, CudaError> {
        let context = driver::context()?;
        Ok(CudaRuntime {
            ordinal: context.ordinal,
            name: context.name.clone(),
        })
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> i32 {
        self.ordinal
    }

    /// The device's name, e.g. `NVIDIA A100-SXM4-40GB`.
    pub fn device_name(&self) -> &str {
        &self.name
    }

    /// Every entry point the compiled host code may call, by the symbol
    /// name it uses; see [`driver::symbols`].
    pub fn symbols(&self) -> Vec<(&'static str, *mut c_void)> {
        driver::symbols()
    }

    /// Allocates `bytes` (at least 1) of device memory, aligned to 256
    /// bytes, on the runtime's stream.
    pub fn alloc_device(&self, bytes: usize) -> Result<*mut u8, CudaError> {
        driver::alloc_device(bytes)
    }

    /// Frees a buffer from [`CudaRuntime::alloc_device`] (null is ignored)
    /// once the work queued before on the stream is done.
    ///
    /// # Safety
    ///
    /// `ptr` must come from [`CudaRuntime::alloc_device`] (or the memref
    /// allocation hooks) and not be freed yet.
    pub unsafe fn free(&self, ptr: *mut u8) -> Result<(), CudaError> {
        // SAFETY: forwarded to the caller.
        unsafe { driver::free(ptr) }
    }

    /// Queues a copy of `bytes` bytes from `host` to `device`.
    ///
    /// # Safety
    ///
    /// `device` holds `bytes` bytes of device memory; `host` holds `bytes`
    /// readable bytes and stays valid until [`CudaRuntime::synchronize`].
    pub unsafe fn copy_to_device(
        &self,
        device: *mut u8,
        host: *const u8,
        bytes: usize,
    ) -> Result<(), CudaError> {
        // SAFETY: forwarded to the caller.
        unsafe { driver::copy_to_device(device, host, bytes) }
    }

    /// Queues a copy of `bytes` bytes from `device` to `host`.
    ///
    /// # Safety
    ///
    /// `device` holds `bytes` bytes of device memory; `host` holds `bytes`
    /// writable bytes, not read before [`CudaRuntime::synchronize`].
    pub unsafe fn copy_to_host(
        &self,
        host: *mut u8,
        device: *const u8,
        bytes: usize,
    ) -> Result<(), CudaError> {
        // SAFETY: forwarded to the caller.
        unsafe { driver::copy_to_host(host, device, bytes) }
    }

    /// Queues zeroing `bytes` bytes at `device`.
    ///
    /// # Safety
    ///
    /// `device` holds `bytes` bytes of device memory.
    pub unsafe fn zero(&self, device: *mut u8, bytes: usize) -> Result<(), CudaError> {
        // SAFETY: forwarded to the caller.
        unsafe { driver::zero_device(device, bytes) }
    }

    /// Captures the work `body` queues on the runtime's stream as a CUDA
    /// graph, without running it; `Err` says why no graph could be made.
    pub fn capture_graph<E: std::fmt::Display>(
        &self,
        body: impl FnOnce() -> Result<(), E>,
    ) -> Result<CudaGraph, String> {
        driver::Graph::capture(body).map(CudaGraph)
    }

    /// The device time of the work queued while `body` runs, measured with
    /// CUDA events recorded on the runtime's stream before and after it;
    /// waits for that work.
    pub fn device_time<E: From<CudaError>>(
        &self,
        body: impl FnOnce() -> Result<(), E>,
    ) -> Result<std::time::Duration, E> {
        let start = driver::Event::new()?;
        let end = driver::Event::new()?;
        start.record()?;
        body()?;
        end.record()?;
        Ok(end.elapsed_since(&start)?)
    }

    /// Waits for all work on the runtime's stream, then reports the first
    /// error recorded by an entry point since the last [`take_error`], if
    /// any.
    pub fn synchronize(&self) -> Result<(), CudaError> {
        driver::synchronize()?;
        match take_error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// A run captured by [`CudaRuntime::capture_graph`].
pub struct CudaGraph(driver::Graph);

impl CudaGraph {
    /// Queues one replay of the captured run on the runtime's stream.
    pub fn launch(&self) -> Result<(), CudaError> {
        self.0.launch()
    }
}
