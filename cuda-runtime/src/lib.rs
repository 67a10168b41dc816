//! `libchlast_cuda_runtime.so`: the runtime an object compiled by
//! `chlast-compile --target cuda` links against (C declarations in
//! `chlast_cuda_runtime.h` next to this crate).
//!
//! The entry points the compiled host code calls (MLIR's `mgpu*` ABI, the
//! memref allocation hooks, `chlast_device_constant`, `chlast_cudnn_conv`)
//! are chlast's CUDA runtime ([`chlast::runtime::cuda`]) exported under
//! their C names (the `export-cuda-abi` feature); this crate adds what the
//! host program needs around a call: device buffers, copies, a
//! synchronization that reports the first error, and that error's text.

use chlast::runtime::cuda::{CudaError, CudaRuntime};
use std::{
    ffi::{c_char, c_int, c_void},
    ptr::null_mut,
    sync::Mutex,
};

static LAST_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn keep(error: CudaError) {
    *LAST_ERROR.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
}

fn status(result: Result<(), CudaError>) -> c_int {
    match result {
        Ok(()) => 0,
        Err(error) => {
            keep(error);
            -1
        }
    }
}

/// Device memory for an argument or result; null on error.
#[unsafe(no_mangle)]
pub extern "C" fn chlast_cuda_alloc(bytes: usize) -> *mut c_void {
    match CudaRuntime::open().and_then(|rt| rt.alloc_device(bytes)) {
        Ok(pointer) => pointer.cast(),
        Err(error) => {
            keep(error);
            null_mut()
        }
    }
}

/// Frees a buffer from [`chlast_cuda_alloc`] in stream order.
///
/// # Safety
///
/// `device` comes from `chlast_cuda_alloc` and is not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_cuda_free(device: *mut c_void) {
    // SAFETY: forwarded to the caller.
    let freed = CudaRuntime::open().and_then(|rt| unsafe { rt.free(device.cast()) });
    status(freed);
}

/// Queues a copy from host to device memory.
///
/// # Safety
///
/// Both hold `bytes` bytes; `host` stays valid until the next
/// synchronization.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_cuda_copy_to_device(
    device: *mut c_void,
    host: *const c_void,
    bytes: usize,
) -> c_int {
    status(CudaRuntime::open().and_then(|rt| {
        // SAFETY: forwarded to the caller.
        unsafe { rt.copy_to_device(device.cast(), host.cast(), bytes) }
    }))
}

/// Queues a copy from device to host memory.
///
/// # Safety
///
/// Both hold `bytes` bytes; `host` is not read before the next
/// synchronization.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_cuda_copy_to_host(
    host: *mut c_void,
    device: *const c_void,
    bytes: usize,
) -> c_int {
    status(CudaRuntime::open().and_then(|rt| {
        // SAFETY: forwarded to the caller.
        unsafe { rt.copy_to_host(host.cast(), device.cast(), bytes) }
    }))
}

/// Waits for the queued work; -1 when a call since the last one failed.
#[unsafe(no_mangle)]
pub extern "C" fn chlast_cuda_synchronize() -> c_int {
    status(CudaRuntime::open().and_then(|rt| rt.synchronize()))
}

/// Copies the last error into `buffer` (NUL-terminated, truncated to
/// `size`), returns its length (0: none) and forgets it.
///
/// # Safety
///
/// `buffer` holds `size` writable bytes (or `size` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_cuda_error(buffer: *mut c_char, size: usize) -> usize {
    match LAST_ERROR.lock().unwrap_or_else(|e| e.into_inner()).take() {
        // SAFETY: forwarded to the caller.
        Some(message) => unsafe { chlast::runtime::write_c_message(&message, buffer, size) },
        None => 0,
    }
}
