//! The C entry points the compiled host code calls. Each is declared once,
//! inside [`entry_points!`], with the C name it is exported under (with the
//! `export-cuda-abi` feature) and registered under in the JIT's symbol
//! table ([`symbols`]), so the two cannot drift apart.

use super::{
    memory::{UPLOADS, alloc_aligned, alloc_device, free},
    state::{
        CONTEXT, DEFAULT_DEVICE, bad_argument, check, context, entry, failed_earlier, lock, stream,
        sync_if_asked,
    },
};
use crate::runtime::cuda::{
    CudaError,
    cudnn::Cudnn,
    spec::{self, ConvOperands, ConvSpec},
};
use cudarc::driver::sys as cu;
use std::{
    collections::BTreeMap,
    ffi::{c_char, c_void},
    ptr::{null_mut, without_provenance_mut},
    sync::{Mutex, atomic::Ordering},
};

/// The cuDNN handle on the runtime's stream, created by the first conv.
static CUDNN: Mutex<Option<Cudnn>> = Mutex::new(None);
/// Decoded specs by address, with the words they were decoded from.
static SPECS: Mutex<BTreeMap<usize, (Vec<i64>, ConvSpec)>> = Mutex::new(BTreeMap::new());

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

/// Defines the C entry points: each `"cName" => fn name(...) {...}` becomes
/// `unsafe extern "C" fn name`, exported as `cName` with the
/// `export-cuda-abi` feature, and [`symbols`] lists every one by that name.
macro_rules! entry_points {
    ($(
        $(#[$meta:meta])*
        $c_name:literal => fn $name:ident($($params:tt)*) $(-> $ret:ty)? $body:block
    )*) => {
        $(
            $(#[$meta])*
            #[cfg_attr(feature = "export-cuda-abi", unsafe(export_name = $c_name))]
            pub(super) unsafe extern "C" fn $name($($params)*) $(-> $ret)? $body
        )*

        /// Every entry point, by the symbol name the compiled code calls, with
        /// its address: register them all into the ExecutionEngine
        /// (`mlirExecutionEngineRegisterSymbol`) before initializing it.
        pub fn symbols() -> Vec<(&'static str, *mut c_void)> {
            vec![$(($c_name, $name as *mut c_void)),*]
        }
    };
}

entry_points! {
    /// `mgpuModuleLoad(data, size)`: loads a cubin or fatbin image.
    "mgpuModuleLoad" => fn mgpu_module_load(data: *mut c_void, _size: u64) -> cu::CUmodule {
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
    "mgpuModuleLoadJIT" => fn mgpu_module_load_jit(
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
    "mgpuModuleUnload" => fn mgpu_module_unload(module: cu::CUmodule) {
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
    "mgpuModuleGetFunction" => fn mgpu_module_get_function(
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
    "mgpuLaunchKernel" => fn mgpu_launch_kernel(
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
    "mgpuStreamCreate" => fn mgpu_stream_create() -> cu::CUstream {
        entry("mgpuStreamCreate", null_mut(), stream)
    }

    /// `mgpuStreamDestroy(stream)`: the runtime's stream lives as long as the
    /// process; another stream is destroyed.
    "mgpuStreamDestroy" => fn mgpu_stream_destroy(stream: cu::CUstream) {
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
    "mgpuStreamSynchronize" => fn mgpu_stream_synchronize(stream: cu::CUstream) {
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
    "mgpuStreamWaitEvent" => fn mgpu_stream_wait_event(stream: cu::CUstream, event: cu::CUevent) {
        entry("mgpuStreamWaitEvent", (), || {
            context()?;
            // SAFETY: handles from mgpuStreamCreate and mgpuEventCreate.
            check("cuStreamWaitEvent", unsafe {
                cu::cuStreamWaitEvent(stream, event, 0)
            })
        })
    }

    /// `mgpuEventCreate()`: an event without timing.
    "mgpuEventCreate" => fn mgpu_event_create() -> cu::CUevent {
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
    "mgpuEventDestroy" => fn mgpu_event_destroy(event: cu::CUevent) {
        entry("mgpuEventDestroy", (), || {
            // SAFETY: an event from mgpuEventCreate.
            check("cuEventDestroy", unsafe { cu::cuEventDestroy_v2(event) })
        })
    }

    /// `mgpuEventSynchronize(event)`.
    "mgpuEventSynchronize" => fn mgpu_event_synchronize(event: cu::CUevent) {
        entry("mgpuEventSynchronize", (), || {
            context()?;
            // SAFETY: an event from mgpuEventCreate.
            check("cuEventSynchronize", unsafe {
                cu::cuEventSynchronize(event)
            })
        })
    }

    /// `mgpuEventRecord(event, stream)`.
    "mgpuEventRecord" => fn mgpu_event_record(event: cu::CUevent, stream: cu::CUstream) {
        entry("mgpuEventRecord", (), || {
            context()?;
            // SAFETY: handles from mgpuEventCreate and mgpuStreamCreate.
            check("cuEventRecord", unsafe { cu::cuEventRecord(event, stream) })
        })
    }

    /// `mgpuMemAlloc(sizeBytes, stream, isHostShared)`: device memory on the
    /// runtime's stream; null for 0 bytes. Host-shared (managed) memory is
    /// refused: the CUDA target keeps buffers on the device.
    "mgpuMemAlloc" => fn mgpu_mem_alloc(
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
    "mgpuMemFree" => fn mgpu_mem_free(ptr: *mut c_void, _stream: cu::CUstream) {
        entry("mgpuMemFree", (), || {
            // SAFETY: memory from mgpuMemAlloc.
            unsafe { free(ptr.cast()) }
        })
    }

    /// `mgpuMemcpy(dst, src, sizeBytes, stream)` (direction from unified
    /// addressing).
    "mgpuMemcpy" => fn mgpu_memcpy(
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
    "mgpuMemset32" => fn mgpu_memset32(
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
    "mgpuMemset16" => fn mgpu_memset16(
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
    "mgpuSetDefaultDevice" => fn mgpu_set_default_device(device: i32) {
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
    "_mlir_memref_to_llvm_alloc" => fn memref_alloc(size: u64) -> *mut c_void {
        entry("_mlir_memref_to_llvm_alloc", null_mut(), || {
            let bytes = usize::try_from(size)
                .map_err(|_| bad_argument("_mlir_memref_to_llvm_alloc", format!("{size} bytes")))?;
            alloc_device(bytes).map(|p| p.cast())
        })
    }

    /// `_mlir_memref_to_llvm_aligned_alloc(alignment, size)`: device memory
    /// (256-byte aligned; larger alignments are honoured by over-allocating).
    "_mlir_memref_to_llvm_aligned_alloc" => fn memref_aligned_alloc(alignment: u64, size: u64) -> *mut c_void {
        entry("_mlir_memref_to_llvm_aligned_alloc", null_mut(), || {
            alloc_aligned(alignment, size).map(|p| p.cast())
        })
    }

    /// `_mlir_memref_to_llvm_free(ptr)`: freed once the stream's earlier work
    /// is done.
    "_mlir_memref_to_llvm_free" => fn memref_free(ptr: *mut c_void) {
        entry("_mlir_memref_to_llvm_free", (), || {
            // SAFETY: the compiled code frees what the hooks allocated.
            unsafe { free(ptr.cast()) }
        })
    }


    /// `chlast_cudnn_conv(spec, x, w, y, bias, z)`: runs the convolution
    /// described by the [`spec::SPEC_LEN`] words at `spec` on the aligned pointers
    /// `x`, `w`, `y` (the spec's element offsets are added here), `bias` (0 =
    /// none) and the residual `z` (0 = none; y's offset is added), on the
    /// runtime's stream (without waiting, unless `CHLAST_CUDA_SYNC`).
    "chlast_cudnn_conv" => fn chlast_cudnn_conv(
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
    "chlast_device_constant" => fn chlast_device_constant(host: *const c_void, bytes: u64) -> *mut c_void {
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
    "chlast_device_constant_free" => fn chlast_device_constant_free(device: *mut c_void) {
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
}
