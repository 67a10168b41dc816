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
//! Host memory registered by `mgpuMemHostRegisterMemRef` (the program's
//! constant globals, in read-only pages) is used by kernels and cuDNN
//! through its host address, which unified addressing makes a valid device
//! address on Linux.

use super::{
    CudaError,
    cudnn::Cudnn,
    spec::{self, ConvOperands, ConvSpec},
};
use cudarc::driver::sys as cu;
use std::{
    collections::BTreeMap,
    ffi::{CStr, c_char, c_int, c_long, c_void},
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
/// Over-aligned managed allocations: returned address -> allocated base.
static ALIGNED: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());
static PINNED: Mutex<PinnedPages> = Mutex::new(PinnedPages::new());

/// Alignment of every managed allocation.
const MANAGED_ALIGNMENT: u64 = 256;

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
// Managed memory.

/// Allocates `bytes` (at least 1) of managed memory, 256-byte aligned.
pub(crate) fn alloc_managed(bytes: usize) -> Result<*mut u8, CudaError> {
    catch_panic("alloc_managed", || {
        context()?;
        let mut ptr = 0;
        // SAFETY: writes one device pointer.
        check("cuMemAllocManaged", unsafe {
            cu::cuMemAllocManaged(
                &mut ptr,
                bytes.max(1),
                cu::CUmemAttach_flags::CU_MEM_ATTACH_GLOBAL as u32,
            )
        })?;
        Ok(ptr as usize as *mut u8)
    })
}

/// Allocates managed memory aligned to `alignment` (a power of two).
fn alloc_aligned(alignment: u64, size: u64) -> Result<*mut u8, CudaError> {
    const FUNCTION: &str = "_mlir_memref_to_llvm_aligned_alloc";
    if !alignment.is_power_of_two() {
        return Err(bad_argument(
            FUNCTION,
            format!("alignment {alignment} is not a power of two"),
        ));
    }
    let too_large = || bad_argument(FUNCTION, format!("{size} bytes cannot be allocated"));
    if alignment <= MANAGED_ALIGNMENT {
        return alloc_managed(usize::try_from(size).map_err(|_| too_large())?);
    }
    let padded = size
        .checked_add(alignment)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(too_large)?;
    let base = alloc_managed(padded)? as usize;
    let aligned = base.next_multiple_of(alignment as usize);
    lock(&ALIGNED).insert(aligned, base);
    Ok(aligned as *mut u8)
}

/// Frees managed memory (null is ignored).
///
/// # Safety
///
/// `ptr` must come from [`alloc_managed`] or the memref allocation hooks and
/// not be freed yet.
pub(crate) unsafe fn free(ptr: *mut u8) -> Result<(), CudaError> {
    if ptr.is_null() {
        return Ok(());
    }
    catch_panic("free", || {
        context()?;
        let base = lock(&ALIGNED)
            .remove(&(ptr as usize))
            .unwrap_or(ptr as usize);
        // SAFETY: guaranteed by the caller.
        check("cuMemFree", unsafe { cu::cuMemFree_v2(base as u64) })
    })
}

/// Waits for all work of the context.
pub(crate) fn synchronize() -> Result<(), CudaError> {
    catch_panic("synchronize", || {
        context()?;
        // SAFETY: no arguments.
        check("cuCtxSynchronize", unsafe { cu::cuCtxSynchronize() })
    })
}

// ---------------------------------------------------------------------------
// Host registration.

/// Registered page ranges: registering two memrefs that share a page must
/// not register the page twice, and unregistering one must not unregister
/// the other's pages. Each chunk is one `cuMemHostRegister` call, counted
/// by the memrefs that overlap it.
#[derive(Debug, Default)]
struct PinnedPages {
    /// Start -> chunk, never overlapping.
    chunks: BTreeMap<usize, Chunk>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    end: usize,
    users: usize,
    /// Whether we registered it (false when the driver said it already
    /// was, by someone else).
    owned: bool,
}

impl PinnedPages {
    const fn new() -> Self {
        PinnedPages {
            chunks: BTreeMap::new(),
        }
    }

    /// Starts of the chunks overlapping `[start, end)`, in order.
    fn overlapping(&self, start: usize, end: usize) -> Vec<usize> {
        self.chunks
            .range(..end)
            .filter(|(_, chunk)| chunk.end > start)
            .map(|(&s, _)| s)
            .collect()
    }

    /// Adds a user of `[start, end)`: registers (with `register`, which
    /// returns whether the range is ours to unregister) the parts not yet
    /// covered; on failure, unregisters (with `unregister`) what this call
    /// registered and changes nothing.
    fn register<E>(
        &mut self,
        start: usize,
        end: usize,
        mut register: impl FnMut(usize, usize) -> Result<bool, E>,
        mut unregister: impl FnMut(usize),
    ) -> Result<(), E> {
        if start >= end {
            return Ok(());
        }
        let mut gaps = Vec::new();
        let mut cursor = start;
        for s in self.overlapping(start, end) {
            if s > cursor {
                gaps.push((cursor, s));
            }
            cursor = cursor.max(self.chunks[&s].end);
        }
        if cursor < end {
            gaps.push((cursor, end));
        }
        let mut added: Vec<(usize, usize, bool)> = Vec::new();
        for (s, e) in gaps {
            match register(s, e) {
                Ok(owned) => added.push((s, e, owned)),
                Err(error) => {
                    for &(s, _, owned) in &added {
                        if owned {
                            unregister(s);
                        }
                    }
                    return Err(error);
                }
            }
        }
        for (s, end, owned) in added {
            self.chunks.insert(
                s,
                Chunk {
                    end,
                    users: 0,
                    owned,
                },
            );
        }
        for s in self.overlapping(start, end) {
            if let Some(chunk) = self.chunks.get_mut(&s) {
                chunk.users += 1;
            }
        }
        Ok(())
    }

    /// Removes a user of `[start, end)`; chunks left without users are
    /// unregistered (if ours) and forgotten.
    fn unregister(&mut self, start: usize, end: usize, mut unregister: impl FnMut(usize)) {
        for s in self.overlapping(start, end) {
            if let Some(chunk) = self.chunks.get_mut(&s) {
                chunk.users = chunk.users.saturating_sub(1);
                if chunk.users == 0 {
                    if chunk.owned {
                        unregister(s);
                    }
                    self.chunks.remove(&s);
                }
            }
        }
    }

    /// Unregisters every chunk of ours.
    fn release_all(&mut self, mut unregister: impl FnMut(usize)) {
        for (s, chunk) in std::mem::take(&mut self.chunks) {
            if chunk.owned {
                unregister(s);
            }
        }
    }
}

/// The system's page size.
fn page_size() -> usize {
    unsafe extern "C" {
        fn sysconf(name: c_int) -> c_long;
    }
    /// `_SC_PAGESIZE` on Linux.
    const SC_PAGESIZE: c_int = 30;
    // SAFETY: sysconf only reads a system value.
    let size = unsafe { sysconf(SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| s.is_power_of_two())
        .unwrap_or(4096)
}

/// The bytes `[first, end)` spanned by a strided memref whose aligned
/// pointer is `aligned`, or `None` when it has no elements.
fn memref_extent(
    aligned: usize,
    offset: i64,
    sizes: &[i64],
    strides: &[i64],
    element_size: i64,
) -> Result<Option<(usize, usize)>, String> {
    if element_size <= 0 {
        return Err(format!("element size {element_size}"));
    }
    if offset < 0 {
        return Err(format!("negative offset {offset}"));
    }
    if sizes.contains(&0) {
        return Ok(None);
    }
    let mut last = 0i128;
    for (&size, &stride) in sizes.iter().zip(strides) {
        if size < 0 || stride < 0 {
            return Err(format!("sizes {sizes:?} and strides {strides:?}"));
        }
        last += i128::from(size - 1) * i128::from(stride);
    }
    let element = i128::from(element_size);
    let first = aligned as i128 + i128::from(offset) * element;
    let end = first + (last + 1) * element;
    match (usize::try_from(first), usize::try_from(end)) {
        (Ok(first), Ok(end)) => Ok(Some((first, end))),
        _ => Err("the memref does not fit the address space".to_string()),
    }
}

/// The page-aligned byte range of a memref descriptor
/// `{ allocated, aligned, offset, sizes[rank], strides[rank] }`.
///
/// # Safety
///
/// `descriptor` must point to a ranked memref descriptor of rank `rank`.
unsafe fn memref_pages(
    function: &'static str,
    rank: i64,
    descriptor: *const i64,
    element_size: i64,
) -> Result<Option<(usize, usize)>, CudaError> {
    if descriptor.is_null() {
        return Err(bad_argument(function, "null memref descriptor"));
    }
    let rank = usize::try_from(rank)
        .ok()
        .filter(|&r| r <= 64)
        .ok_or_else(|| bad_argument(function, format!("memref rank {rank}")))?;
    // SAFETY: the descriptor holds 3 + 2 * rank words (caller's guarantee).
    let words = unsafe { std::slice::from_raw_parts(descriptor, 3 + 2 * rank) };
    let extent = memref_extent(
        words[1] as usize,
        words[2],
        &words[3..3 + rank],
        &words[3 + rank..],
        element_size,
    )
    .map_err(|message| bad_argument(function, message))?;
    let page = page_size();
    Ok(extent.map(|(first, end)| (first - first % page, end.next_multiple_of(page))))
}

/// `cuMemHostRegister` flags for constants: read-only pages, visible to all
/// contexts, mapped into the device's address space.
const HOST_REGISTER_FLAGS: u32 = cu::CU_MEMHOSTREGISTER_READ_ONLY
    | cu::CU_MEMHOSTREGISTER_PORTABLE
    | cu::CU_MEMHOSTREGISTER_DEVICEMAP;

fn host_unregister(start: usize) {
    // SAFETY: `start` begins a range we registered.
    let result = unsafe { cu::cuMemHostUnregister(start as *mut c_void) };
    if let Err(error) = check("cuMemHostUnregister", result) {
        record(error);
    }
}

fn host_register_pages(start: usize, end: usize) -> Result<(), CudaError> {
    lock(&PINNED).register(
        start,
        end,
        |s, e| {
            // SAFETY: whole pages of a live memref (the caller's guarantee).
            let result =
                unsafe { cu::cuMemHostRegister_v2(s as *mut c_void, e - s, HOST_REGISTER_FLAGS) };
            match result {
                cu::CUresult::CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED => Ok(false),
                result => check("cuMemHostRegister", result).map(|()| true),
            }
        },
        host_unregister,
    )
}

/// Unregisters all host memory registered through the entry points.
pub(crate) fn release_host_registrations() -> Result<(), CudaError> {
    catch_panic("release_host_registrations", || {
        context()?;
        lock(&PINNED).release_all(host_unregister);
        match take_error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    })
}

// ---------------------------------------------------------------------------
// The entry points.

/// `mgpuModuleLoad(data, size)`: loads a cubin or fatbin image.
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
        })
    })
}

/// `mgpuStreamCreate()`: a non-blocking stream.
unsafe extern "C" fn mgpu_stream_create() -> cu::CUstream {
    entry("mgpuStreamCreate", null_mut(), || {
        context()?;
        let mut stream = null_mut();
        // SAFETY: writes one handle.
        check("cuStreamCreate", unsafe {
            cu::cuStreamCreate(
                &mut stream,
                cu::CUstream_flags::CU_STREAM_NON_BLOCKING as u32,
            )
        })?;
        Ok(stream)
    })
}

/// `mgpuStreamDestroy(stream)`.
unsafe extern "C" fn mgpu_stream_destroy(stream: cu::CUstream) {
    entry("mgpuStreamDestroy", (), || {
        // SAFETY: a stream from mgpuStreamCreate.
        check("cuStreamDestroy", unsafe { cu::cuStreamDestroy_v2(stream) })
    })
}

/// `mgpuStreamSynchronize(stream)`.
unsafe extern "C" fn mgpu_stream_synchronize(stream: cu::CUstream) {
    entry("mgpuStreamSynchronize", (), || {
        context()?;
        // SAFETY: a stream from mgpuStreamCreate.
        check("cuStreamSynchronize", unsafe {
            cu::cuStreamSynchronize(stream)
        })
    })
}

/// `mgpuStreamWaitEvent(stream, event)`.
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
unsafe extern "C" fn mgpu_event_destroy(event: cu::CUevent) {
    entry("mgpuEventDestroy", (), || {
        // SAFETY: an event from mgpuEventCreate.
        check("cuEventDestroy", unsafe { cu::cuEventDestroy_v2(event) })
    })
}

/// `mgpuEventSynchronize(event)`.
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
unsafe extern "C" fn mgpu_event_record(event: cu::CUevent, stream: cu::CUstream) {
    entry("mgpuEventRecord", (), || {
        context()?;
        // SAFETY: handles from mgpuEventCreate and mgpuStreamCreate.
        check("cuEventRecord", unsafe { cu::cuEventRecord(event, stream) })
    })
}

/// `mgpuMemAlloc(sizeBytes, stream, isHostShared)`: device memory, or
/// managed memory when host-shared; null for 0 bytes.
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
            return alloc_managed(bytes).map(|p| p.cast());
        }
        context()?;
        let mut ptr = 0;
        // SAFETY: writes one device pointer.
        check("cuMemAlloc", unsafe { cu::cuMemAlloc_v2(&mut ptr, bytes) })?;
        Ok(ptr as usize as *mut c_void)
    })
}

/// `mgpuMemFree(ptr, stream)`.
unsafe extern "C" fn mgpu_mem_free(ptr: *mut c_void, _stream: cu::CUstream) {
    entry("mgpuMemFree", (), || {
        if ptr.is_null() {
            return Ok(());
        }
        context()?;
        // SAFETY: memory from mgpuMemAlloc.
        check("cuMemFree", unsafe { cu::cuMemFree_v2(ptr as u64) })
    })
}

/// `mgpuMemcpy(dst, src, sizeBytes, stream)` (direction from unified
/// addressing).
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

/// `mgpuMemHostRegisterMemRef(rank, descriptor, elementSizeBytes)`:
/// registers the pages spanned by the memref (read-only, portable, device
/// mapped); memory already registered elsewhere is accepted as is.
unsafe extern "C" fn mgpu_mem_host_register_memref(
    rank: i64,
    descriptor: *const i64,
    element_size: i64,
) {
    const FUNCTION: &str = "mgpuMemHostRegisterMemRef";
    entry(FUNCTION, (), || {
        context()?;
        // SAFETY: the compiled code passes a descriptor of this rank.
        match unsafe { memref_pages(FUNCTION, rank, descriptor, element_size) }? {
            Some((start, end)) => host_register_pages(start, end),
            None => Ok(()),
        }
    })
}

/// `mgpuMemHostUnregisterMemRef(rank, descriptor, elementSizeBytes)`:
/// undoes one `mgpuMemHostRegisterMemRef` of the same memref.
unsafe extern "C" fn mgpu_mem_host_unregister_memref(
    rank: i64,
    descriptor: *const i64,
    element_size: i64,
) {
    const FUNCTION: &str = "mgpuMemHostUnregisterMemRef";
    entry(FUNCTION, (), || {
        context()?;
        // SAFETY: the compiled code passes a descriptor of this rank.
        if let Some((start, end)) =
            unsafe { memref_pages(FUNCTION, rank, descriptor, element_size) }?
        {
            lock(&PINNED).unregister(start, end, host_unregister);
        }
        Ok(())
    })
}

/// `mgpuSetDefaultDevice(device)`: the device to open; only effective
/// before the runtime's context exists (one device per process).
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

/// `_mlir_memref_to_llvm_alloc(size)`: managed memory. On failure the error
/// is also printed, since the caller dereferences the result unchecked.
unsafe extern "C" fn memref_alloc(size: u64) -> *mut c_void {
    entry("_mlir_memref_to_llvm_alloc", null_mut(), || {
        let bytes = usize::try_from(size)
            .map_err(|_| bad_argument("_mlir_memref_to_llvm_alloc", format!("{size} bytes")))?;
        alloc_managed(bytes)
            .map(|p| p.cast())
            .inspect_err(|error| eprintln!("chlast: {error}"))
    })
}

/// `_mlir_memref_to_llvm_aligned_alloc(alignment, size)`: managed memory
/// (256-byte aligned; larger alignments are honoured by over-allocating).
unsafe extern "C" fn memref_aligned_alloc(alignment: u64, size: u64) -> *mut c_void {
    entry("_mlir_memref_to_llvm_aligned_alloc", null_mut(), || {
        alloc_aligned(alignment, size)
            .map(|p| p.cast())
            .inspect_err(|error| eprintln!("chlast: {error}"))
    })
}

/// `_mlir_memref_to_llvm_free(ptr)`.
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
/// default stream, and waits for it.
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
        context()?;
        let spec = decoded_spec(spec as usize, words)?;
        let operands = ConvOperands::new(&spec, x, w, y, bias, z)?;
        let mut cudnn = lock(&CUDNN);
        let cudnn = match &mut *cudnn {
            Some(cudnn) => cudnn,
            slot @ None => slot.insert(Cudnn::new()?),
        };
        // SAFETY: the compiled code passes buffers of the spec's shapes.
        unsafe { cudnn.forward(&spec, &operands) }?;
        // SAFETY: no arguments.
        check("cuCtxSynchronize", unsafe { cu::cuCtxSynchronize() })
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
            "mgpuMemHostRegisterMemRef",
            mgpu_mem_host_register_memref as *mut c_void,
        ),
        (
            "mgpuMemHostUnregisterMemRef",
            mgpu_mem_host_unregister_memref as *mut c_void,
        ),
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
        for name in ["mgpuModuleLoadJIT", "mgpuLaunchKernel", "chlast_cudnn_conv"] {
            assert!(names.contains(&name), "{name}");
        }
    }

    #[test]
    fn extent_of_memrefs() {
        // 2x3 f32, row-major, offset 1.
        assert_eq!(
            memref_extent(1000, 1, &[2, 3], &[3, 1], 4),
            Ok(Some((1004, 1028)))
        );
        // Rank 0: one element.
        assert_eq!(memref_extent(64, 0, &[], &[], 2), Ok(Some((64, 66))));
        // Strided: the last element is at 1*10 + 2*2 = 14.
        assert_eq!(memref_extent(0, 0, &[2, 3], &[10, 2], 4), Ok(Some((0, 60))));
        assert_eq!(memref_extent(0, 0, &[4, 0], &[1, 1], 4), Ok(None));
        assert!(memref_extent(0, 0, &[2], &[-1], 4).is_err());
        assert!(memref_extent(0, 0, &[2], &[1], 0).is_err());
        assert!(memref_extent(0, -1, &[2], &[1], 4).is_err());
    }

    #[test]
    fn memref_descriptor_pages() {
        let page = page_size();
        let base = 10 * page as i64;
        // { allocated, aligned, offset, sizes[2], strides[2] }, 3x5 f32 at
        // offset 3 that spans into the next page.
        let offset = (page as i64 - 8) / 4;
        let descriptor = [0xdead, base, offset, 3, 5, 5, 1];
        // SAFETY: a rank-2 descriptor.
        let pages = unsafe { memref_pages("test", 2, descriptor.as_ptr(), 4) };
        assert_eq!(pages, Ok(Some((10 * page, 12 * page))));
        // SAFETY: rank out of range is rejected before reading.
        let error = unsafe { memref_pages("test", -1, descriptor.as_ptr(), 4) };
        assert!(matches!(error, Err(CudaError::BadArgument { .. })));
    }

    #[test]
    fn pinned_pages_share_chunks() {
        let mut pinned = PinnedPages::new();
        let mut registered = Vec::new();
        let mut unregistered = Vec::new();
        let ok = |s, e, log: &mut Vec<(usize, usize)>| {
            log.push((s, e));
            Ok::<bool, ()>(true)
        };
        pinned
            .register(0, 3, |s, e| ok(s, e, &mut registered), |_| {})
            .expect("registers");
        // Overlaps [0, 3): only [3, 5) is new.
        pinned
            .register(2, 5, |s, e| ok(s, e, &mut registered), |_| {})
            .expect("registers");
        // Covered entirely: nothing new.
        pinned
            .register(1, 4, |s, e| ok(s, e, &mut registered), |_| {})
            .expect("registers");
        assert_eq!(registered, vec![(0, 3), (3, 5)]);
        assert_eq!(pinned.chunks[&0].users, 3);
        assert_eq!(pinned.chunks[&3].users, 2);

        pinned.unregister(2, 5, |s| unregistered.push(s));
        assert!(unregistered.is_empty());
        pinned.unregister(1, 4, |s| unregistered.push(s));
        assert_eq!(unregistered, vec![3]);
        pinned.unregister(0, 3, |s| unregistered.push(s));
        assert_eq!(unregistered, vec![3, 0]);
        assert!(pinned.chunks.is_empty());
    }

    #[test]
    fn pinned_pages_roll_back_and_foreign_ranges() {
        let mut pinned = PinnedPages::new();
        pinned
            .register(4, 6, |_, _| Ok::<bool, ()>(true), |_| {})
            .expect("registers");
        // [0, 4) succeeds, [6, 9) fails: [0, 4) is unregistered again.
        let mut undone = Vec::new();
        let result = pinned.register(
            0,
            9,
            |s, _| if s == 0 { Ok(true) } else { Err("full") },
            |s| undone.push(s),
        );
        assert_eq!(result, Err("full"));
        assert_eq!(undone, vec![0]);
        assert_eq!(pinned.chunks.len(), 1);
        assert_eq!(pinned.chunks[&4].users, 1);

        // Registered by someone else: never unregistered by us.
        pinned
            .register(10, 12, |_, _| Ok::<bool, ()>(false), |_| {})
            .expect("registers");
        let mut unregistered = Vec::new();
        pinned.unregister(10, 12, |s| unregistered.push(s));
        assert!(unregistered.is_empty());
        pinned.release_all(|s| unregistered.push(s));
        assert_eq!(unregistered, vec![4]);
        assert!(pinned.chunks.is_empty());
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
        assert_eq!(alloc_managed(16).err(), Some(CudaError::DriverNotFound));
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
