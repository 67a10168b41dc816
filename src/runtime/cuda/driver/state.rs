//! The runtime's global state: one CUDA context (the default device's
//! primary context), one stream, the first error of a run, and [`entry`],
//! the wrapper every C entry point runs its body in (errors recorded,
//! panics caught).

use crate::runtime::cuda::CudaError;
use cudarc::driver::sys as cu;
use std::{
    ffi::{CStr, c_char, c_int},
    panic::{AssertUnwindSafe, catch_unwind},
    ptr::null_mut,
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

pub(super) static CONTEXT: OnceLock<Result<Context, CudaError>> = OnceLock::new();
pub(super) static DEFAULT_DEVICE: AtomicI32 = AtomicI32::new(0);
static FIRST_ERROR: Mutex<Option<CudaError>> = Mutex::new(None);

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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

pub(super) fn record(error: CudaError) {
    record_into(&FIRST_ERROR, error);
}

/// Keeps `error` in `slot` unless an earlier one is there.
pub(super) fn record_into(slot: &Mutex<Option<CudaError>>, error: CudaError) {
    let mut slot = lock(slot);
    if slot.is_none() {
        *slot = Some(error);
    }
}

/// Runs `body`, turning a panic into an error.
pub(super) fn catch_panic<T>(
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
pub(super) fn entry<T>(
    function: &'static str,
    fallback: T,
    body: impl FnOnce() -> Result<T, CudaError>,
) -> T {
    match catch_panic(function, body) {
        Ok(value) => value,
        Err(error) => {
            record(error);
            fallback
        }
    }
}

pub(super) fn bad_argument(function: &'static str, message: impl Into<String>) -> CudaError {
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
pub(super) fn sync_if_asked(stream: cu::CUstream) -> Result<(), CudaError> {
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
pub(super) fn failed_earlier() -> bool {
    lock(&FIRST_ERROR).is_some()
}
