//! `libchlast_cpu_runtime.so`: the runtime an object compiled by
//! `chlast-compile --target cpu` links against, outside chlast-run (see
//! `chlast_cpu_runtime.h` next to this crate for the C declarations).
//!
//! Such an object leaves two things to the link: the convolution call
//! `chlast_cudnn_conv` (one per conv, run here on oneDNN exactly as
//! chlast-run's JIT runs it: [`chlast::runtime::onednn`]) and LLVM's OpenMP
//! runtime for its parallel loops (`-lomp`). Errors of a call are kept for
//! [`chlast_runtime_error`], since the call itself cannot return one.
//!
//! ```text
//! cc main.c model.o -L<dir> -lchlast_cpu_runtime -L/usr/lib/llvm-22/lib -lomp
//! ```

use std::ffi::c_char;

/// `chlast_cudnn_conv(spec, x, w, y, bias, z)`: the convolution described
/// by the constant spec at `spec` on the buffers at the given addresses,
/// run by oneDNN.
///
/// # Safety
///
/// As the compiled code calls it: `spec` points to a chlast conv spec and
/// the addresses to buffers of its shapes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_cudnn_conv(
    spec: *const i64,
    x: u64,
    w: u64,
    y: u64,
    bias: u64,
    z: u64,
) {
    // SAFETY: forwarded to the caller.
    unsafe { chlast::runtime::onednn::conv_call(spec, x, w, y, bias, z) }
}

/// Copies the first recorded error, NUL-terminated and truncated to `size`
/// bytes, into `buffer`; returns the message's length (0: none).
///
/// # Safety
///
/// `buffer` holds `size` writable bytes (or `size` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chlast_runtime_error(buffer: *mut c_char, size: usize) -> usize {
    match chlast::runtime::onednn::take_error() {
        // SAFETY: forwarded to the caller.
        Some(message) => unsafe { chlast::runtime::write_c_message(&message, buffer, size) },
        None => 0,
    }
}

/// Sets the threads of oneDNN and the compiled parallel loops; 0 on
/// success, -1 (the reason kept for [`chlast_runtime_error`]) otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn chlast_runtime_set_threads(threads: i32) -> i32 {
    let result = usize::try_from(threads)
        .ok()
        .filter(|&t| t > 0)
        .ok_or_else(|| format!("{threads} threads"))
        .and_then(chlast::runtime::onednn::set_threads);
    match result {
        Ok(()) => 0,
        Err(error) => {
            chlast::runtime::onednn::record_error(error);
            -1
        }
    }
}
