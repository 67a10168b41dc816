//! The C entry points called by the compiled host code, and the runtime's
//! global state (one CUDA context, one cuDNN handle, caches).
//!
//! The `mgpu*` functions follow the signatures that MLIR 22's `gpu-to-llvm`
//! lowering and `gpu.binary` translation (`SelectObjectAttr`) emit calls
//! to, i.e. those of MLIR's `CudaRuntimeWrappers.cpp`: `index` arguments
//! are `isize`, streams, events, modules and functions are opaque driver
//! handles. The memref hooks are those of
//! `finalize-memref-to-llvm{use-generic-functions}`, and `chlast_cudnn_conv`
//! is chlast's own (`--chlast-convs-to-cudnn`).
//!
//! None of these can return an error through the C ABI. Each one records
//! the first error in a global slot (read with [`take_error`]) and returns
//! a null handle or does nothing; panics are caught at the boundary.
//!
//! Every entry point that needs the device makes the runtime's context
//! (the default device's primary context) current on the calling thread
//! first, opening it on first use.
//!
//! Memory: every buffer is device memory, allocated and freed on the
//! runtime's one stream (stream-ordered, from the device's memory pool);
//! constants are copied to the device once, when a program is loaded
//! (`chlast_device_constant`); kernel launches and cuDNN calls queue on
//! that stream, and a run waits for the GPU only at its end (the host code
//! never reads device memory: `chlast-check-host-memory`).
//! `CHLAST_CUDA_SYNC=1` waits after every launch and call instead, to
//! find the one that fails.

use super::{
    CudaError,
    cudnn::Cudnn,
    spec::{self, ConvOperands, ConvSpec},
};
use cudarc::driver::sys as cu;
use std::{
    collections::BTreeMap,
    ffi::{CStr, c_char, c_int, c_void},
    panic::{AssertUnwindSafe, catch_unwind},
    ptr::{null_mut, without_provenance_mut},
    sync::{
        Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicI32, Ordering},
    },
};

/// Turns a driver result into a result.
pub(crate) fn check(function: &'static str, result: cu::CUresult) -> Result<(), CudaError> {
    if result == cu::CUresult::CUDA_SUCCESS {
        Ok(())
    } else {
        Err(CudaError::Driver {
            function,
            status: format!("{result:?}"),
        })
    }
}

// ---------------------------------------------------------------------------
// Global state.

/// The runtime's CUDA context.
pub(crate) struct Context {
    /// Device ordinal.
    pub(crate) ordinal: i32,
    /// Device name.
    pub(crate) name: String,
    raw: cu::CUcontext,
}

// SAFETY: a primary context handle is valid in every thread of the process;
// it is only passed to the driver, which synchronizes internally.
unsafe impl Send for Context {}
// SAFETY: as above; the value is never mutated after creation.
unsafe impl Sync for Context {}

static CONTEXT: OnceLock<Result<Context, CudaError>> = OnceLock::new();
static DEFAULT_DEVICE: AtomicI32 = AtomicI32::new(0);
static FIRST_ERROR: Mutex<Option<CudaError>> = Mutex::new(None);
static CUDNN: Mutex<Option<Cudnn>> = Mutex::new(None);
/// Decoded specs by address, with the words they were decoded from.
static SPECS: Mutex<BTreeMap<usize, (Vec<i64>, ConvSpec)>> = Mutex::new(BTreeMap::new());
/// Over-aligned device allocations: returned address -> allocated base.
static ALIGNED: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

/// Alignment of every device allocation.
const DEVICE_ALIGNMENT: u64 = 256;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The runtime's context, opened on first use and made current on the
/// calling thread.
pub(crate) fn context() -> Result<&'static Context, CudaError> {
    let context = CONTEXT
        .get_or_init(|| catch_panic("CudaRuntime::open", open_context))
        .as_ref()
        .map_err(Clone::clone)?;
    let mut current = null_mut();
    // SAFETY: writes one handle.
    check("cuCtxGetCurrent", unsafe {
        cu::cuCtxGetCurrent(&mut current)
    })?;
    if current != context.raw {
        // SAFETY: a retained primary context.
        check("cuCtxSetCurrent", unsafe {
            cu::cuCtxSetCurrent(context.raw)
        })?;
    }
    Ok(context)
}

fn open_context() -> Result<Context, CudaError> {
    // SAFETY: probing dlopen's libcuda under cudarc's candidate names.
    if !unsafe { cu::is_culib_present() } {
        return Err(CudaError::DriverNotFound);
    }
    // SAFETY: the driver library is present; each call writes its outputs.
    unsafe {
        match cu::cuInit(0) {
            cu::CUresult::CUDA_ERROR_NO_DEVICE => return Err(CudaError::NoDevice),
            result => check("cuInit", result)?,
        }
        let mut count = 0;
        check("cuDeviceGetCount", cu::cuDeviceGetCount(&mut count))?;
        if count == 0 {
            return Err(CudaError::NoDevice);
        }
        let ordinal = DEFAULT_DEVICE.load(Ordering::SeqCst);
        if !(0..count).contains(&ordinal) {
            return Err(CudaError::BadDevice {
                requested: ordinal,
                reason: format!("{count} device(s) found"),
            });
        }
        let mut device = 0;
        check("cuDeviceGet", cu::cuDeviceGet(&mut device, ordinal))?;
        let mut name = [0 as c_char; 256];
        check(
            "cuDeviceGetName",
            cu::cuDeviceGetName(name.as_mut_ptr(), name.len() as c_int, device),
        )?;
        let name = CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned();
        let mut raw = null_mut();
        check(
            "cuDevicePrimaryCtxRetain",
            cu::cuDevicePrimaryCtxRetain(&mut raw, device),
        )?;
        Ok(Context { ordinal, name, raw })
    }
}

/// Takes the first error recorded by an entry point since the last call.
pub fn take_error() -> Option<CudaError> {
    lock(&FIRST_ERROR).take()
}

fn record(error: CudaError) {
    record_into(&FIRST_ERROR, error);
}

/// Keeps `error` in `slot` unless an earlier one is there.
fn record_into(slot: &Mutex<Option<CudaError>>, error: CudaError) {
    let mut slot = lock(slot);
    if slot.is_none() {
        *slot = Some(error);
    }
}

/// Runs `body`, turning a panic into an error.
fn catch_panic<T>(
    function: &'static str,
    body: impl FnOnce() -> Result<T, CudaError>,
) -> Result<T, CudaError> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(CudaError::Panic { function, message })
    })
}

/// Runs an entry point's body: its value, or `fallback` after recording
/// the error.
fn entry<T>(function: &'static str, fallback: T, body: impl FnOnce() -> Result<T, CudaError>) -> T {
    match catch_panic(function, body) {
        Ok(value) => value,
        Err(error) => {
            record(error);
            fallback
        }
    }
}

fn bad_argument(function: &'static str, message: impl Into<String>) -> CudaError {
    CudaError::BadArgument {
        function,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------
// The stream and device memory.

/// The runtime's one stream: every kernel, cuDNN call, allocation, free
/// and copy of a run is ordered on it. It synchronizes with the legacy
/// default stream (flags 0), so a library call on stream 0 stays ordered.
struct Stream(cu::CUstream);

// SAFETY: a stream handle is valid in every thread of the process; it is
// only passed to the driver, which synchronizes internally.
unsafe impl Send for Stream {}
// SAFETY: as above; the value is never mutated after creation.
unsafe impl Sync for Stream {}

static STREAM: OnceLock<Result<Stream, CudaError>> = OnceLock::new();

/// The environment variable that makes the runtime wait for the GPU after
/// every kernel launch and cuDNN call (`CHLAST_CUDA_SYNC=1`), so that an
/// error is reported by the call that caused it. Off by default: a run
/// only waits at its end.
pub const SYNC_EACH_ENV: &str = "CHLAST_CUDA_SYNC";

fn sync_each() -> bool {
    static SYNC: OnceLock<bool> = OnceLock::new();
    *SYNC.get_or_init(|| std::env::var(SYNC_EACH_ENV).is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// The runtime's stream, created on first use. The device's default
/// memory pool, which serves the stream-ordered allocations, keeps freed
/// memory for reuse instead of returning it at every synchronization.
pub(crate) fn stream() -> Result<cu::CUstream, CudaError> {
    context()?;
    STREAM
        .get_or_init(|| catch_panic("stream", create_stream))
        .as_ref()
        .map(|stream| stream.0)
        .map_err(Clone::clone)
}

fn create_stream() -> Result<Stream, CudaError> {
    let context = context()?;
    let mut stream = null_mut();
    // SAFETY: writes one handle.
    check("cuStreamCreate", unsafe {
        cu::cuStreamCreate(&mut stream, cu::CUstream_flags::CU_STREAM_DEFAULT as u32)
    })?;
    let mut device = 0;
    let mut pool = null_mut();
    let mut keep = u64::MAX;
    // SAFETY: each call writes one handle or reads one u64.
    unsafe {
        check("cuDeviceGet", cu::cuDeviceGet(&mut device, context.ordinal))?;
        check(
            "cuDeviceGetDefaultMemPool",
            cu::cuDeviceGetDefaultMemPool(&mut pool, device),
        )?;
        check(
            "cuMemPoolSetAttribute",
            cu::cuMemPoolSetAttribute(
                pool,
                cu::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                (&raw mut keep).cast(),
            ),
        )?;
    }
    Ok(Stream(stream))
}

/// Waits for the stream when `CHLAST_CUDA_SYNC` asks for it.
fn sync_if_asked(stream: cu::CUstream) -> Result<(), CudaError> {
    if sync_each() {
        // SAFETY: the runtime's live stream.
        check("cuStreamSynchronize", unsafe {
            cu::cuStreamSynchronize(stream)
        })?;
    }
    Ok(())
}

/// Whether an entry point already failed in this run: later launches and
/// cuDNN calls are skipped (their buffers may be null), and the first
/// error is reported when the run synchronizes.
fn failed_earlier() -> bool {
    lock(&FIRST_ERROR).is_some()
}

/// Allocates `bytes` (at least 1) of device memory, 256-byte aligned,
/// ordered on the runtime's stream (from the device's memory pool).
pub(crate) fn alloc_device(bytes: usize) -> Result<*mut u8, CudaError> {
    catch_panic("alloc_device", || {
        let stream = stream()?;
        let mut ptr = 0;
        // SAFETY: writes one device pointer.
        check("cuMemAllocAsync", unsafe {
            cu::cuMemAllocAsync(&mut ptr, bytes.max(1), stream)
        })?;
        Ok(ptr as usize as *mut u8)
    })
}

/// Allocates device memory aligned to `alignment` (a power of two).
fn alloc_aligned(alignment: u64, size: u64) -> Result<*mut u8, CudaError> {
    const FUNCTION: &str = "_mlir_memref_to_llvm_aligned_alloc";
    if !alignment.is_power_of_two() {
        return Err(bad_argument(
            FUNCTION,
            format!("alignment {alignment} is not a power of two"),
        ));
    }
    let too_large = || bad_argument(FUNCTION, format!("{size} bytes cannot be allocated"));
    if alignment <= DEVICE_ALIGNMENT {
        return alloc_device(usize::try_from(size).map_err(|_| too_large())?);
    }
    let padded = size
        .checked_add(alignment)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(too_large)?;
    let base = alloc_device(padded)? as usize;
    let aligned = base.next_multiple_of(alignment as usize);
    lock(&ALIGNED).insert(aligned, base);
    Ok(aligned as *mut u8)
}

/// Frees device memory once the stream's earlier work is done (null is
/// ignored).
///
/// # Safety
///
/// `ptr` must come from [`alloc_device`] or the memref allocation hooks and
/// not be freed yet.
pub(crate) unsafe fn free(ptr: *mut u8) -> Result<(), CudaError> {
    if ptr.is_null() {
        return Ok(());
    }
    catch_panic("free", || {
        let stream = stream()?;
        let base = lock(&ALIGNED)
            .remove(&(ptr as usize))
            .unwrap_or(ptr as usize);
        // SAFETY: guaranteed by the caller.
        check("cuMemFreeAsync", unsafe {
            cu::cuMemFreeAsync(base as u64, stream)
        })
    })
}

/// Copies `bytes` from host memory to device memory, on the stream; the
/// host memory must stay valid until the stream is synchronized.
///
/// # Safety
///
/// `device` holds `bytes` bytes of device memory, `host` `bytes` readable
/// bytes.
pub(crate) unsafe fn copy_to_device(
    device: *mut u8,
    host: *const u8,
    bytes: usize,
) -> Result<(), CudaError> {
    let stream = stream()?;
    // SAFETY: guaranteed by the caller.
    check("cuMemcpyHtoDAsync", unsafe {
        cu::cuMemcpyHtoDAsync_v2(device as u64, host.cast(), bytes, stream)
    })
}

/// Copies `bytes` from device memory to host memory, on the stream; the
/// host memory is written once the stream is synchronized.
///
/// # Safety
///
/// `device` holds `bytes` bytes of device memory, `host` `bytes` writable
/// bytes.
pub(crate) unsafe fn copy_to_host(
    host: *mut u8,
    device: *const u8,
    bytes: usize,
) -> Result<(), CudaError> {
    let stream = stream()?;
    // SAFETY: guaranteed by the caller.
    check("cuMemcpyDtoHAsync", unsafe {
        cu::cuMemcpyDtoHAsync_v2(host.cast(), device as u64, bytes, stream)
    })
}

/// Zeroes `bytes` of device memory, on the stream.
///
/// # Safety
///
/// `device` holds `bytes` bytes of device memory.
pub(crate) unsafe fn zero_device(device: *mut u8, bytes: usize) -> Result<(), CudaError> {
    let stream = stream()?;
    // SAFETY: guaranteed by the caller.
    check("cuMemsetD8Async", unsafe {
        cu::cuMemsetD8Async(device as u64, 0, bytes, stream)
    })
}

/// Waits for all work on the runtime's stream.
pub(crate) fn synchronize() -> Result<(), CudaError> {
    catch_panic("synchronize", || {
        let stream = stream()?;
        // SAFETY: the runtime's live stream.
        check("cuStreamSynchronize", unsafe {
            cu::cuStreamSynchronize(stream)
        })
    })
}

/// A whole run captured once from the runtime's stream and replayed with
/// one launch (`cuGraphLaunch`): the kernels, cuDNN calls, allocations
/// and frees of the run, without the host code and its launch overhead.
pub(crate) struct Graph(cu::CUgraphExec);

impl Graph {
    /// Captures the work `body` queues on the runtime's stream (nothing
    /// runs). `Err` says why there is no graph: `body` failed, an entry
    /// point recorded an error, or the driver refused to capture or
    /// instantiate (e.g. a call that is not allowed while capturing).
    pub(crate) fn capture<E: std::fmt::Display>(
        body: impl FnOnce() -> Result<(), E>,
    ) -> Result<Graph, String> {
        let stream = stream().map_err(|e| e.to_string())?;
        // SAFETY: the runtime's live stream; capture is ended below on
        // every path.
        check("cuStreamBeginCapture", unsafe {
            cu::cuStreamBeginCapture_v2(
                stream,
                cu::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
            )
        })
        .map_err(|e| e.to_string())?;
        let ran = body();
        let mut graph = null_mut();
        // SAFETY: ends the capture begun above; writes one handle.
        let ended = check("cuStreamEndCapture", unsafe {
            cu::cuStreamEndCapture(stream, &mut graph)
        });
        let recorded = take_error();
        let captured = match (ran, ended, recorded) {
            (Err(error), _, _) => Err(error.to_string()),
            (_, _, Some(error)) | (_, Err(error), _) => Err(error.to_string()),
            (Ok(()), Ok(()), None) if graph.is_null() => Err("no graph captured".to_string()),
            (Ok(()), Ok(()), None) => {
                let mut exec = null_mut();
                // SAFETY: a captured graph; writes one handle.
                check("cuGraphInstantiate", unsafe {
                    cu::cuGraphInstantiateWithFlags(&mut exec, graph, 0)
                })
                .map(|()| Graph(exec))
                .map_err(|e| e.to_string())
            }
        };
        if !graph.is_null() {
            // SAFETY: the graph is ours; the instantiated copy is separate.
            unsafe { cu::cuGraphDestroy(graph) };
        }
        captured
    }

    /// Queues one replay on the runtime's stream.
    pub(crate) fn launch(&self) -> Result<(), CudaError> {
        let stream = stream()?;
        // SAFETY: a live executable graph and stream.
        check("cuGraphLaunch", unsafe {
            cu::cuGraphLaunch(self.0, stream)
        })
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        // SAFETY: instantiated by `capture`, destroyed once; its replays
        // are waited for before the buffers it uses are freed.
        let _ = unsafe { cu::cuGraphExecDestroy(self.0) };
    }
}

/// A CUDA event with timing, recorded on the runtime's stream.
pub(crate) struct Event(cu::CUevent);

impl Event {
    pub(crate) fn new() -> Result<Event, CudaError> {
        context()?;
        let mut event = null_mut();
        // SAFETY: writes one handle.
        check("cuEventCreate", unsafe {
            cu::cuEventCreate(&mut event, cu::CUevent_flags::CU_EVENT_DEFAULT as u32)
        })?;
        Ok(Event(event))
    }

    /// Records the event after the work queued on the stream so far.
    pub(crate) fn record(&self) -> Result<(), CudaError> {
        let stream = stream()?;
        // SAFETY: a live event and stream.
        check("cuEventRecord", unsafe {
            cu::cuEventRecord(self.0, stream)
        })
    }

    /// Waits for `self`, then returns the device time from `start` to it.
    pub(crate) fn elapsed_since(&self, start: &Event) -> Result<std::time::Duration, CudaError> {
        let mut ms = 0f32;
        // SAFETY: live events, both recorded.
        unsafe {
            check("cuEventSynchronize", cu::cuEventSynchronize(self.0))?;
            check(
                "cuEventElapsedTime",
                cu::cuEventElapsedTime(&mut ms, start.0, self.0),
            )?;
        }
        Ok(std::time::Duration::from_secs_f64(
            f64::from(ms.max(0.0)) / 1e3,
        ))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: a live event, destroyed once.
        let _ = unsafe { cu::cuEventDestroy_v2(self.0) };
    }
}

/// Constants uploaded to the device (`chlast_device_constant`) since the
/// process started: how many, and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uploads {
    /// Constants uploaded.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
}

static UPLOADS: Mutex<Uploads> = Mutex::new(Uploads { count: 0, bytes: 0 });

/// The constants uploaded so far.
pub fn uploads() -> Uploads {
    *lock(&UPLOADS)
}
// ---------------------------------------------------------------------------
// The entry points.

/// `mgpuModuleLoad(data, size)`: loads a cubin or fatbin image.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuModuleLoad"))]
unsafe extern "C" fn mgpu_module_load(data: *mut c_void, _size: u64) -> cu::CUmodule {
    entry("mgpuModuleLoad", null_mut(), || {
        context()?;
        if data.is_null() {
            return Err(bad_argument("mgpuModuleLoad", "null image"));
        }
        let mut module = null_mut();
        // SAFETY: the compiled code passes its embedded image.
        check("cuModuleLoadData", unsafe {
            cu::cuModuleLoadData(&mut module, data)
        })?;
        Ok(module)
    })
}

/// `mgpuModuleLoadJIT(data, optLevel, assemblySize)`: loads PTX text,
/// compiled by the driver at `optLevel` (0 to 4). The PTX is embedded with
/// a terminating NUL, which the driver relies on; the size is not needed.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuModuleLoadJIT"))]
unsafe extern "C" fn mgpu_module_load_jit(
    data: *mut c_void,
    opt_level: i32,
    _assembly_size: u64,
) -> cu::CUmodule {
    entry("mgpuModuleLoadJIT", null_mut(), || {
        context()?;
        if data.is_null() {
            return Err(bad_argument("mgpuModuleLoadJIT", "null PTX"));
        }
        let mut log = vec![0u8; 16 * 1024];
        let mut options = [
            cu::CUjit_option::CU_JIT_ERROR_LOG_BUFFER,
            cu::CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
            cu::CUjit_option::CU_JIT_OPTIMIZATION_LEVEL,
        ];
        // Option values are passed in pointer-sized slots.
        let mut values = [
            log.as_mut_ptr() as *mut c_void,
            without_provenance_mut::<c_void>(log.len()),
            without_provenance_mut::<c_void>(opt_level.clamp(0, 4) as usize),
        ];
        let mut module = null_mut();
        // SAFETY: the options and values arrays have the given length; the
        // log buffer outlives the call.
        let result = unsafe {
            cu::cuModuleLoadDataEx(
                &mut module,
                data,
                options.len() as u32,
                options.as_mut_ptr(),
                values.as_mut_ptr(),
            )
        };
        if result != cu::CUresult::CUDA_SUCCESS {
            let length = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            return Err(CudaError::Jit {
                status: format!("{result:?}"),
                log: String::from_utf8_lossy(&log[..length]).into_owned(),
            });
        }
        Ok(module)
    })
}

/// `mgpuModuleUnload(module)`; tolerates a driver already shut down (the
/// call comes from a global destructor).
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuModuleUnload"))]
unsafe extern "C" fn mgpu_module_unload(module: cu::CUmodule) {
    entry("mgpuModuleUnload", (), || {
        if module.is_null() {
            return Ok(());
        }
        // SAFETY: a module from mgpuModuleLoad(JIT).
        match unsafe { cu::cuModuleUnload(module) } {
            cu::CUresult::CUDA_ERROR_DEINITIALIZED => Ok(()),
            result => check("cuModuleUnload", result),
        }
    })
}

/// `mgpuModuleGetFunction(module, name)`.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "mgpuModuleGetFunction")
)]
unsafe extern "C" fn mgpu_module_get_function(
    module: cu::CUmodule,
    name: *const c_char,
) -> cu::CUfunction {
    entry("mgpuModuleGetFunction", null_mut(), || {
        if module.is_null() || name.is_null() {
            return Err(bad_argument(
                "mgpuModuleGetFunction",
                "null module (did loading the PTX fail?) or name",
            ));
        }
        let mut function = null_mut();
        // SAFETY: a loaded module and a NUL-terminated name.
        check("cuModuleGetFunction", unsafe {
            cu::cuModuleGetFunction(&mut function, module, name)
        })?;
        Ok(function)
    })
}

/// `mgpuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
/// smem, stream, params, extra, paramsCount)`. Dynamic shared memory above
/// the default 48 KiB is opted into per function.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuLaunchKernel"))]
unsafe extern "C" fn mgpu_launch_kernel(
    function: cu::CUfunction,
    grid_x: isize,
    grid_y: isize,
    grid_z: isize,
    block_x: isize,
    block_y: isize,
    block_z: isize,
    smem: i32,
    stream: cu::CUstream,
    params: *mut *mut c_void,
    extra: *mut *mut c_void,
    _params_count: usize,
) {
    const FUNCTION: &str = "mgpuLaunchKernel";
    entry(FUNCTION, (), || {
        context()?;
        if failed_earlier() {
            return Ok(());
        }
        if function.is_null() {
            return Err(bad_argument(FUNCTION, "null kernel function"));
        }
        let dims = [grid_x, grid_y, grid_z, block_x, block_y, block_z];
        let mut sizes = [0u32; 6];
        for (size, &dim) in sizes.iter_mut().zip(&dims) {
            *size = u32::try_from(dim)
                .ok()
                .filter(|&d| d > 0)
                .ok_or_else(|| bad_argument(FUNCTION, format!("launch dims {dims:?}")))?;
        }
        let shared = u32::try_from(smem)
            .map_err(|_| bad_argument(FUNCTION, format!("{smem} bytes of shared memory")))?;
        if smem > 48 * 1024 {
            // SAFETY: a loaded function.
            check("cuFuncSetAttribute", unsafe {
                cu::cuFuncSetAttribute(
                    function,
                    cu::CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    smem,
                )
            })?;
        }
        let [gx, gy, gz, bx, by, bz] = sizes;
        // SAFETY: the compiled code passes its kernel's parameters.
        check("cuLaunchKernel", unsafe {
            cu::cuLaunchKernel(
                function, gx, gy, gz, bx, by, bz, shared, stream, params, extra,
            )
        })?;
        sync_if_asked(stream)
    })
}

/// `mgpuStreamCreate()`: the runtime's one stream (the host code asks for
/// a stream per kernel launch; ordering all launches on one lets a run go
/// without waiting for the GPU).
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuStreamCreate"))]
unsafe extern "C" fn mgpu_stream_create() -> cu::CUstream {
    entry("mgpuStreamCreate", null_mut(), stream)
}

/// `mgpuStreamDestroy(stream)`: the runtime's stream lives as long as the
/// process; another stream is destroyed.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuStreamDestroy"))]
unsafe extern "C" fn mgpu_stream_destroy(stream: cu::CUstream) {
    entry("mgpuStreamDestroy", (), || {
        if Ok(stream) == self::stream() {
            return Ok(());
        }
        // SAFETY: a stream the host code created elsewhere.
        check("cuStreamDestroy", unsafe { cu::cuStreamDestroy_v2(stream) })
    })
}

/// `mgpuStreamSynchronize(stream)`: the host code asks after every kernel
/// launch, but never reads device memory (`chlast-check-host-memory`), so
/// on the runtime's stream this waits only under `CHLAST_CUDA_SYNC`, and a
/// run waits once, at its end. Another stream is waited for.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "mgpuStreamSynchronize")
)]
unsafe extern "C" fn mgpu_stream_synchronize(stream: cu::CUstream) {
    entry("mgpuStreamSynchronize", (), || {
        if Ok(stream) == self::stream() {
            return sync_if_asked(stream);
        }
        // SAFETY: a stream the host code created elsewhere.
        check("cuStreamSynchronize", unsafe {
            cu::cuStreamSynchronize(stream)
        })
    })
}

/// `mgpuStreamWaitEvent(stream, event)`.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "mgpuStreamWaitEvent")
)]
unsafe extern "C" fn mgpu_stream_wait_event(stream: cu::CUstream, event: cu::CUevent) {
    entry("mgpuStreamWaitEvent", (), || {
        context()?;
        // SAFETY: handles from mgpuStreamCreate and mgpuEventCreate.
        check("cuStreamWaitEvent", unsafe {
            cu::cuStreamWaitEvent(stream, event, 0)
        })
    })
}

/// `mgpuEventCreate()`: an event without timing.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuEventCreate"))]
unsafe extern "C" fn mgpu_event_create() -> cu::CUevent {
    entry("mgpuEventCreate", null_mut(), || {
        context()?;
        let mut event = null_mut();
        // SAFETY: writes one handle.
        check("cuEventCreate", unsafe {
            cu::cuEventCreate(
                &mut event,
                cu::CUevent_flags::CU_EVENT_DISABLE_TIMING as u32,
            )
        })?;
        Ok(event)
    })
}

/// `mgpuEventDestroy(event)`.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuEventDestroy"))]
unsafe extern "C" fn mgpu_event_destroy(event: cu::CUevent) {
    entry("mgpuEventDestroy", (), || {
        // SAFETY: an event from mgpuEventCreate.
        check("cuEventDestroy", unsafe { cu::cuEventDestroy_v2(event) })
    })
}

/// `mgpuEventSynchronize(event)`.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "mgpuEventSynchronize")
)]
unsafe extern "C" fn mgpu_event_synchronize(event: cu::CUevent) {
    entry("mgpuEventSynchronize", (), || {
        context()?;
        // SAFETY: an event from mgpuEventCreate.
        check("cuEventSynchronize", unsafe {
            cu::cuEventSynchronize(event)
        })
    })
}

/// `mgpuEventRecord(event, stream)`.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuEventRecord"))]
unsafe extern "C" fn mgpu_event_record(event: cu::CUevent, stream: cu::CUstream) {
    entry("mgpuEventRecord", (), || {
        context()?;
        // SAFETY: handles from mgpuEventCreate and mgpuStreamCreate.
        check("cuEventRecord", unsafe { cu::cuEventRecord(event, stream) })
    })
}

/// `mgpuMemAlloc(sizeBytes, stream, isHostShared)`: device memory on the
/// runtime's stream; null for 0 bytes. Host-shared (managed) memory is
/// refused: the CUDA target keeps buffers on the device.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuMemAlloc"))]
unsafe extern "C" fn mgpu_mem_alloc(
    size: u64,
    _stream: cu::CUstream,
    is_host_shared: u8,
) -> *mut c_void {
    const FUNCTION: &str = "mgpuMemAlloc";
    entry(FUNCTION, null_mut(), || {
        if size == 0 {
            return Ok(null_mut());
        }
        let bytes =
            usize::try_from(size).map_err(|_| bad_argument(FUNCTION, format!("{size} bytes")))?;
        if is_host_shared & 1 != 0 {
            return Err(bad_argument(
                FUNCTION,
                "host-shared (managed) memory is not supported: buffers live on the device",
            ));
        }
        alloc_device(bytes).map(|p| p.cast())
    })
}

/// `mgpuMemFree(ptr, stream)`: freed on the runtime's stream.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuMemFree"))]
unsafe extern "C" fn mgpu_mem_free(ptr: *mut c_void, _stream: cu::CUstream) {
    entry("mgpuMemFree", (), || {
        // SAFETY: memory from mgpuMemAlloc.
        unsafe { free(ptr.cast()) }
    })
}

/// `mgpuMemcpy(dst, src, sizeBytes, stream)` (direction from unified
/// addressing).
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuMemcpy"))]
unsafe extern "C" fn mgpu_memcpy(
    dst: *mut c_void,
    src: *mut c_void,
    size: usize,
    stream: cu::CUstream,
) {
    entry("mgpuMemcpy", (), || {
        context()?;
        // SAFETY: the compiled code passes live buffers of `size` bytes.
        check("cuMemcpyAsync", unsafe {
            cu::cuMemcpyAsync(dst as u64, src as u64, size, stream)
        })
    })
}

/// `mgpuMemset32(dst, value, count, stream)`.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuMemset32"))]
unsafe extern "C" fn mgpu_memset32(
    dst: *mut c_void,
    value: u32,
    count: usize,
    stream: cu::CUstream,
) {
    entry("mgpuMemset32", (), || {
        context()?;
        // SAFETY: the compiled code passes a live buffer of `count` words.
        check("cuMemsetD32Async", unsafe {
            cu::cuMemsetD32Async(dst as u64, value, count, stream)
        })
    })
}

/// `mgpuMemset16(dst, value, count, stream)`.
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "mgpuMemset16"))]
unsafe extern "C" fn mgpu_memset16(
    dst: *mut c_void,
    value: u16,
    count: usize,
    stream: cu::CUstream,
) {
    entry("mgpuMemset16", (), || {
        context()?;
        // SAFETY: the compiled code passes a live buffer of `count` halves.
        check("cuMemsetD16Async", unsafe {
            cu::cuMemsetD16Async(dst as u64, value, count, stream)
        })
    })
}

/// `mgpuSetDefaultDevice(device)`: the device to open; only effective
/// before the runtime's context exists (one device per process).
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "mgpuSetDefaultDevice")
)]
unsafe extern "C" fn mgpu_set_default_device(device: i32) {
    entry("mgpuSetDefaultDevice", (), || {
        if let Some(Ok(context)) = CONTEXT.get() {
            if context.ordinal != device {
                return Err(CudaError::BadDevice {
                    requested: device,
                    reason: format!("device {} is already in use", context.ordinal),
                });
            }
            return Ok(());
        }
        DEFAULT_DEVICE.store(device, Ordering::SeqCst);
        Ok(())
    })
}

/// `_mlir_memref_to_llvm_alloc(size)`: device memory, ordered on the
/// runtime's stream. On failure the later launches and cuDNN calls of the
/// run are skipped (the host code never reads the null buffer).
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "_mlir_memref_to_llvm_alloc")
)]
unsafe extern "C" fn memref_alloc(size: u64) -> *mut c_void {
    entry("_mlir_memref_to_llvm_alloc", null_mut(), || {
        let bytes = usize::try_from(size)
            .map_err(|_| bad_argument("_mlir_memref_to_llvm_alloc", format!("{size} bytes")))?;
        alloc_device(bytes).map(|p| p.cast())
    })
}

/// `_mlir_memref_to_llvm_aligned_alloc(alignment, size)`: device memory
/// (256-byte aligned; larger alignments are honoured by over-allocating).
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "_mlir_memref_to_llvm_aligned_alloc")
)]
unsafe extern "C" fn memref_aligned_alloc(alignment: u64, size: u64) -> *mut c_void {
    entry("_mlir_memref_to_llvm_aligned_alloc", null_mut(), || {
        alloc_aligned(alignment, size).map(|p| p.cast())
    })
}

/// `_mlir_memref_to_llvm_free(ptr)`: freed once the stream's earlier work
/// is done.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "_mlir_memref_to_llvm_free")
)]
unsafe extern "C" fn memref_free(ptr: *mut c_void) {
    entry("_mlir_memref_to_llvm_free", (), || {
        // SAFETY: the compiled code frees what the hooks allocated.
        unsafe { free(ptr.cast()) }
    })
}

/// The spec at `address`, decoded once per address (and again if the
/// words there changed, e.g. a new module at the same address).
fn decoded_spec(address: usize, words: &[i64]) -> Result<ConvSpec, CudaError> {
    let mut specs = lock(&SPECS);
    if let Some((cached, spec)) = specs.get(&address)
        && cached.as_slice() == words
    {
        return Ok(spec.clone());
    }
    let spec = ConvSpec::decode(words)?;
    specs.insert(address, (words.to_vec(), spec.clone()));
    Ok(spec)
}

/// `chlast_cudnn_conv(spec, x, w, y, bias, z)`: runs the convolution
/// described by the [`spec::SPEC_LEN`] words at `spec` on the aligned pointers
/// `x`, `w`, `y` (the spec's element offsets are added here), `bias` (0 =
/// none) and the residual `z` (0 = none; y's offset is added), on the
/// runtime's stream (without waiting, unless `CHLAST_CUDA_SYNC`).
#[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = "chlast_cudnn_conv"))]
unsafe extern "C" fn chlast_cudnn_conv(
    spec: *const i64,
    x: u64,
    w: u64,
    y: u64,
    bias: u64,
    z: u64,
) {
    const FUNCTION: &str = "chlast_cudnn_conv";
    entry(FUNCTION, (), || {
        // SAFETY: the compiled code passes the address of its constant spec.
        let words = unsafe { spec::words_at(spec) }?;
        let stream = stream()?;
        if failed_earlier() {
            return Ok(());
        }
        let spec = decoded_spec(spec as usize, words)?;
        let operands = ConvOperands::new(&spec, x, w, y, bias, z)?;
        let mut cudnn = lock(&CUDNN);
        let cudnn = match &mut *cudnn {
            Some(cudnn) => cudnn,
            slot @ None => slot.insert(Cudnn::new(stream)?),
        };
        // SAFETY: the compiled code passes buffers of the spec's shapes.
        unsafe { cudnn.forward(&spec, &operands) }?;
        sync_if_asked(stream)
    })
}

/// `chlast_device_constant(host, bytes) -> device`: a device copy of the
/// `bytes` bytes of constant data at `host`, made when the program is
/// loaded (by `chlast-upload-constants`' global constructor) and kept
/// until it is unloaded; null after recording an error.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "chlast_device_constant")
)]
unsafe extern "C" fn chlast_device_constant(host: *const c_void, bytes: u64) -> *mut c_void {
    const FUNCTION: &str = "chlast_device_constant";
    entry(FUNCTION, null_mut(), || {
        context()?;
        if host.is_null() {
            return Err(bad_argument(FUNCTION, "null constant"));
        }
        let size =
            usize::try_from(bytes).map_err(|_| bad_argument(FUNCTION, format!("{bytes} bytes")))?;
        let mut device = 0;
        // SAFETY: writes one device pointer; then copies `size` bytes the
        // compiled code says `host` holds (synchronously: at load).
        unsafe {
            check("cuMemAlloc", cu::cuMemAlloc_v2(&mut device, size.max(1)))?;
            if let Err(error) = check("cuMemcpyHtoD", cu::cuMemcpyHtoD_v2(device, host, size)) {
                let _ = cu::cuMemFree_v2(device);
                return Err(error);
            }
        }
        let mut uploads = lock(&UPLOADS);
        uploads.count += 1;
        uploads.bytes += bytes;
        Ok(device as usize as *mut c_void)
    })
}

/// `chlast_device_constant_free(device)`: frees a copy made by
/// `chlast_device_constant` (null is ignored), when the program is
/// unloaded.
#[cfg_attr(
    feature = "export-cuda-abi",
    unsafe(export_name = "chlast_device_constant_free")
)]
unsafe extern "C" fn chlast_device_constant_free(device: *mut c_void) {
    entry("chlast_device_constant_free", (), || {
        if device.is_null() {
            return Ok(());
        }
        context()?;
        // SAFETY: a copy from chlast_device_constant, freed once by the
        // program's global destructor.
        match unsafe { cu::cuMemFree_v2(device as u64) } {
            cu::CUresult::CUDA_ERROR_DEINITIALIZED => Ok(()),
            result => check("cuMemFree", result),
        }
    })
}

/// Every entry point, by the symbol name the compiled code calls, with its
/// address: register them all into the ExecutionEngine
/// (`mlirExecutionEngineRegisterSymbol`) before initializing it.
pub fn symbols() -> Vec<(&'static str, *mut c_void)> {
    vec![
        ("mgpuModuleLoad", mgpu_module_load as *mut c_void),
        ("mgpuModuleLoadJIT", mgpu_module_load_jit as *mut c_void),
        ("mgpuModuleUnload", mgpu_module_unload as *mut c_void),
        (
            "mgpuModuleGetFunction",
            mgpu_module_get_function as *mut c_void,
        ),
        ("mgpuLaunchKernel", mgpu_launch_kernel as *mut c_void),
        ("mgpuStreamCreate", mgpu_stream_create as *mut c_void),
        ("mgpuStreamDestroy", mgpu_stream_destroy as *mut c_void),
        (
            "mgpuStreamSynchronize",
            mgpu_stream_synchronize as *mut c_void,
        ),
        ("mgpuStreamWaitEvent", mgpu_stream_wait_event as *mut c_void),
        ("mgpuEventCreate", mgpu_event_create as *mut c_void),
        ("mgpuEventDestroy", mgpu_event_destroy as *mut c_void),
        (
            "mgpuEventSynchronize",
            mgpu_event_synchronize as *mut c_void,
        ),
        ("mgpuEventRecord", mgpu_event_record as *mut c_void),
        ("mgpuMemAlloc", mgpu_mem_alloc as *mut c_void),
        ("mgpuMemFree", mgpu_mem_free as *mut c_void),
        ("mgpuMemcpy", mgpu_memcpy as *mut c_void),
        ("mgpuMemset32", mgpu_memset32 as *mut c_void),
        ("mgpuMemset16", mgpu_memset16 as *mut c_void),
        (
            "mgpuSetDefaultDevice",
            mgpu_set_default_device as *mut c_void,
        ),
        ("_mlir_memref_to_llvm_alloc", memref_alloc as *mut c_void),
        (
            "_mlir_memref_to_llvm_aligned_alloc",
            memref_aligned_alloc as *mut c_void,
        ),
        ("_mlir_memref_to_llvm_free", memref_free as *mut c_void),
        ("chlast_cudnn_conv", chlast_cudnn_conv as *mut c_void),
        (
            "chlast_device_constant",
            chlast_device_constant as *mut c_void,
        ),
        (
            "chlast_device_constant_free",
            chlast_device_constant_free as *mut c_void,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_table() {
        let symbols = symbols();
        assert_eq!(symbols.len(), 25);
        let mut names: Vec<_> = symbols.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), symbols.len(), "duplicate names");
        assert!(symbols.iter().all(|(_, address)| !address.is_null()));
        for name in [
            "mgpuModuleLoadJIT",
            "mgpuLaunchKernel",
            "chlast_cudnn_conv",
            "chlast_device_constant",
            "chlast_device_constant_free",
        ] {
            assert!(names.contains(&name), "{name}");
        }
    }

    #[test]
    fn errors_without_a_driver() {
        // SAFETY: only probes whether the driver library can be opened.
        if unsafe { cu::is_culib_present() } {
            eprintln!("skipped: a CUDA driver is present");
            return;
        }
        assert_eq!(context().err(), Some(CudaError::DriverNotFound));
        assert_eq!(
            crate::runtime::cuda::CudaRuntime::open().err(),
            Some(CudaError::DriverNotFound)
        );
        assert_eq!(
            CudaError::DriverNotFound.to_string(),
            "no CUDA driver: libcuda.so.1 not found; the CUDA target needs an NVIDIA GPU and driver"
        );
        // An entry point records the error instead of panicking; other
        // tests may record errors concurrently, so only check it is one.
        // SAFETY: no arguments.
        let stream = unsafe { mgpu_stream_create() };
        assert!(stream.is_null());
        assert_eq!(alloc_device(16).err(), Some(CudaError::DriverNotFound));
        // SAFETY: without a driver nothing is read; null is returned.
        let constant = unsafe { chlast_device_constant([1.0f32].as_ptr().cast(), 4) };
        assert!(constant.is_null());
        assert_eq!(uploads(), Uploads::default());
        // SAFETY: a null spec is rejected before anything is read.
        unsafe { chlast_cudnn_conv(std::ptr::null(), 0, 0, 0, 0, 0) };
    }

    #[test]
    fn first_error_wins() {
        let slot = Mutex::new(None);
        record_into(&slot, CudaError::NoDevice);
        record_into(&slot, CudaError::DriverNotFound);
        assert_eq!(lock(&slot).take(), Some(CudaError::NoDevice));
        assert_eq!(
            // resume_unwind panics without printing (no panic hook).
            catch_panic("test", || -> Result<(), CudaError> {
                std::panic::resume_unwind(Box::new("boom"))
            }),
            Err(CudaError::Panic {
                function: "test",
                message: "boom".to_string()
            })
        );
    }
}
