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

//!
//! Files: [`state`] (the context, the stream, the first error, the entry
//! wrapper every C function runs in), [`memory`] (device memory, copies,
//! events, graphs, constant uploads), [`abi`] (the C entry points, each
//! declared once with its C name, from which the symbol table is made).

mod abi;
mod memory;
mod state;

pub use abi::symbols;
pub(crate) use memory::{
    Event, Graph, alloc_device, copy_to_device, copy_to_host, free, synchronize, zero_device,
};
pub use memory::{Uploads, uploads};
pub(crate) use state::context;
pub use state::{SYNC_EACH_ENV, take_error};

#[cfg(test)]
mod tests {
    use super::{
        abi::{chlast_cudnn_conv, chlast_device_constant, mgpu_stream_create},
        state::{catch_panic, lock, record_into},
        *,
    };
    use crate::runtime::cuda::CudaError;
    use cudarc::driver::sys as cu;
    use std::sync::Mutex;

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
