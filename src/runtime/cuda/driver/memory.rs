//! Device memory on the runtime's stream (stream-ordered allocation from
//! the device's pool), copies, CUDA events and graphs, and the count of
//! constants uploaded at load.

use super::state::{bad_argument, catch_panic, check, context, lock, stream, take_error};
use crate::runtime::cuda::CudaError;
use cudarc::driver::sys as cu;
use std::{collections::BTreeMap, ptr::null_mut, sync::Mutex};

/// Over-aligned device allocations: returned address -> allocated base.
static ALIGNED: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

/// Alignment of every device allocation.
const DEVICE_ALIGNMENT: u64 = 256;

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
pub(super) fn alloc_aligned(alignment: u64, size: u64) -> Result<*mut u8, CudaError> {
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

pub(super) static UPLOADS: Mutex<Uploads> = Mutex::new(Uploads { count: 0, bytes: 0 });

/// The constants uploaded so far.
pub fn uploads() -> Uploads {
    *lock(&UPLOADS)
}
