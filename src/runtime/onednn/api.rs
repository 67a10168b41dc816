//! The part of oneDNN's 2.x C API (`oneapi/dnnl/dnnl.h`) that the
//! convolution call uses, loaded from `libdnnl.so.2` at run time (Debian's
//! `libdnnl2`, installed by `scripts/deps.sh`), so that building chlast and
//! running the other targets never needs oneDNN.
//!
//! oneDNN 2.x passes memory and operation descriptors by value as plain C
//! structs ([`MemoryDesc`], [`ConvDesc`]); their sizes are checked against
//! the library's own header in the tests.

use std::{
    ffi::{CStr, c_char, c_int, c_void},
    sync::OnceLock,
};

/// The library file loaded: oneDNN 2.x, whose C API this module declares.
pub const LIBRARY: &str = "libdnnl.so.2";
/// Environment variable naming another path of `libdnnl.so.2`.
pub const LIBRARY_ENV: &str = "CHLAST_DNNL_LIB";

/// `dnnl_status_t`.
pub type Status = c_int;
/// `dnnl_success`.
pub const SUCCESS: Status = 0;
/// `dnnl_f16`.
pub const F16: c_int = 1;
/// `dnnl_f32`.
pub const F32: c_int = 3;
/// `dnnl_format_tag_any`.
pub const FORMAT_ANY: c_int = 1;
/// `dnnl_cpu`.
pub const ENGINE_CPU: c_int = 1;
/// `dnnl_stream_default_flags`.
pub const STREAM_DEFAULT: u32 = 1;
/// `dnnl_forward_inference`.
pub const FORWARD_INFERENCE: c_int = 96;
/// `dnnl_convolution_direct`.
pub const CONVOLUTION_DIRECT: c_int = 1;
/// `dnnl_eltwise_relu`.
pub const ELTWISE_RELU: c_int = 31;
/// `dnnl_query_impl_info_str`.
pub const QUERY_IMPL_INFO: c_int = 8;
/// `dnnl_query_src_md`.
pub const QUERY_SRC_MD: c_int = 129;
/// `dnnl_query_weights_md`.
pub const QUERY_WEIGHTS_MD: c_int = 131;
/// `dnnl_query_dst_md`.
pub const QUERY_DST_MD: c_int = 133;
/// `DNNL_ARG_SRC` (also `DNNL_ARG_FROM` of a reorder).
pub const ARG_SRC: c_int = 1;
/// `DNNL_ARG_DST` (also `DNNL_ARG_TO` of a reorder).
pub const ARG_DST: c_int = 17;
/// `DNNL_ARG_WEIGHTS`.
pub const ARG_WEIGHTS: c_int = 33;
/// `DNNL_ARG_BIAS`.
pub const ARG_BIAS: c_int = 41;
/// `DNNL_MAX_NDIMS`: the length of `dnnl_dims_t`.
pub const MAX_NDIMS: usize = 12;
/// `dnnl_dims_t`.
pub type Dims = [i64; MAX_NDIMS];

/// `dnnl_memory_desc_t` (696 bytes in oneDNN 2.6), kept opaque.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct MemoryDesc(pub [u8; 696]);

impl MemoryDesc {
    /// An all-zero descriptor (`dnnl_format_kind_undef`), to be initialized
    /// by the library.
    pub fn zeroed() -> Self {
        MemoryDesc([0; 696])
    }
}

/// `dnnl_convolution_desc_t` (5976 bytes in oneDNN 2.6), kept opaque.
#[repr(C, align(8))]
pub struct ConvDesc(pub [u8; 5976]);

/// `dnnl_exec_arg_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ExecArg {
    /// `DNNL_ARG_*`.
    pub arg: c_int,
    /// The memory object.
    pub memory: Handle,
}

/// An opaque oneDNN object (engine, stream, memory, primitive, ...).
pub type Handle = *mut c_void;

macro_rules! api {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// The entry points of `libdnnl.so.2`, resolved once.
        #[allow(missing_docs)]
        pub struct Api {
            _library: libloading::Library,
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            fn load(path: &str) -> Result<Api, String> {
                // SAFETY: loading oneDNN runs its (side-effect free)
                // initializers only.
                let library = unsafe { libloading::Library::new(path) }
                    .map_err(|e| format!("{path} cannot be loaded: {e}"))?;
                // SAFETY: each symbol is declared with its C signature from
                // oneDNN 2.x's dnnl.h.
                unsafe {
                    Ok(Api {
                        $($name: *library
                            .get(concat!("dnnl_", stringify!($name), "\0").as_bytes())
                            .map_err(|e| format!("{path} is not oneDNN 2.x: {e}"))?,)*
                        _library: library,
                    })
                }
            }
        }
    };
}

api! {
    engine_create: fn(*mut Handle, c_int, usize) -> Status;
    stream_create: fn(*mut Handle, Handle, u32) -> Status;
    stream_wait: fn(Handle) -> Status;
    memory_desc_init_by_strides: fn(*mut MemoryDesc, c_int, *const i64, c_int, *const i64) -> Status;
    memory_desc_init_by_tag: fn(*mut MemoryDesc, c_int, *const i64, c_int, c_int) -> Status;
    memory_desc_equal: fn(*const MemoryDesc, *const MemoryDesc) -> c_int;
    memory_desc_get_size: fn(*const MemoryDesc) -> usize;
    dilated_convolution_forward_desc_init: fn(
        *mut ConvDesc, c_int, c_int, *const MemoryDesc, *const MemoryDesc,
        *const MemoryDesc, *const MemoryDesc, *const i64, *const i64, *const i64, *const i64
    ) -> Status;
    primitive_attr_create: fn(*mut Handle) -> Status;
    primitive_attr_destroy: fn(Handle) -> Status;
    primitive_attr_set_post_ops: fn(Handle, Handle) -> Status;
    post_ops_create: fn(*mut Handle) -> Status;
    post_ops_destroy: fn(Handle) -> Status;
    post_ops_append_sum: fn(Handle, f32) -> Status;
    post_ops_append_eltwise: fn(Handle, f32, c_int, f32, f32) -> Status;
    primitive_desc_create: fn(*mut Handle, *const c_void, Handle, Handle, Handle) -> Status;
    primitive_desc_destroy: fn(Handle) -> Status;
    primitive_desc_query: fn(Handle, c_int, c_int, *mut c_void) -> Status;
    primitive_desc_query_md: fn(Handle, c_int, c_int) -> *const MemoryDesc;
    reorder_primitive_desc_create: fn(
        *mut Handle, *const MemoryDesc, Handle, *const MemoryDesc, Handle, Handle
    ) -> Status;
    primitive_create: fn(*mut Handle, Handle) -> Status;
    primitive_destroy: fn(Handle) -> Status;
    memory_create: fn(*mut Handle, *const MemoryDesc, Handle, *mut c_void) -> Status;
    memory_destroy: fn(Handle) -> Status;
    memory_set_data_handle: fn(Handle, *mut c_void) -> Status;
    primitive_execute: fn(Handle, Handle, c_int, *const ExecArg) -> Status;
}

/// `dnnl_version_t`.
#[repr(C)]
struct Version {
    major: c_int,
    minor: c_int,
    patch: c_int,
    hash: *const c_char,
    cpu_runtime: u32,
    gpu_runtime: u32,
}

/// oneDNN, loaded once per process: `CHLAST_DNNL_LIB` if set, else
/// `libdnnl.so.2` by the loader's search. The error says how to install it.
pub fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| {
        // libomp first, so that oneDNN's OpenMP calls bind to it (see
        // super::openmp); without it oneDNN keeps its own libgomp.
        let _ = super::openmp::load();
        let path = std::env::var(LIBRARY_ENV).unwrap_or_else(|_| LIBRARY.to_string());
        let api = Api::load(&path).map_err(|e| {
            format!(
                "oneDNN is needed for the CPU target's convolutions: {e} \
                 (install Debian's libdnnl2, or run scripts/deps.sh; \
                 --target cpu-reference runs without it)"
            )
        })?;
        let version = version(&api._library)?;
        if !version.starts_with("2.") {
            return Err(format!("{path} is oneDNN {version}; chlast needs 2.x"));
        }
        Ok(api)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// `major.minor.patch` of the loaded library.
fn version(library: &libloading::Library) -> Result<String, String> {
    // SAFETY: dnnl_version has this signature in every oneDNN release and
    // returns a pointer to a static struct.
    unsafe {
        let get: libloading::Symbol<unsafe extern "C" fn() -> *const Version> = library
            .get(b"dnnl_version\0")
            .map_err(|e| format!("not oneDNN: {e}"))?;
        let v = &*get();
        Ok(format!("{}.{}.{}", v.major, v.minor, v.patch))
    }
}

impl Api {
    /// `omp_set_num_threads(threads)` of the OpenMP runtime oneDNN links
    /// (found through the library's dependencies).
    pub fn set_omp_threads(&self, threads: usize) -> Result<(), String> {
        let threads = i32::try_from(threads).map_err(|_| format!("{threads} threads"))?;
        // SAFETY: omp_set_num_threads(int) from the OpenMP runtime oneDNN
        // was built against (libgomp for Debian's package).
        unsafe {
            let set: libloading::Symbol<unsafe extern "C" fn(c_int)> = self
                ._library
                .get(b"omp_set_num_threads\0")
                .map_err(|e| format!("oneDNN's OpenMP runtime has no omp_set_num_threads: {e}"))?;
            set(threads);
        }
        Ok(())
    }
}

/// The version of the oneDNN this process uses, if it can be loaded.
pub fn loaded_version() -> Option<String> {
    api().ok().and_then(|api| version(&api._library).ok())
}

/// Turns a oneDNN status into a message naming the call.
pub fn check(status: Status, call: &str) -> Result<(), String> {
    if status == SUCCESS {
        return Ok(());
    }
    let name = match status {
        1 => "out of memory",
        2 => "invalid arguments",
        3 => "unimplemented",
        4 => "iterator ends",
        5 => "runtime error",
        6 => "not required",
        _ => "unknown status",
    };
    Err(format!("{call} failed: {name} (status {status})"))
}

/// The implementation name of a primitive descriptor (`jit:avx2`,
/// `gemm:jit`, `ref:any`, ...).
///
/// # Safety
/// `pd` must be a live primitive descriptor of `api`.
pub unsafe fn implementation(api: &Api, pd: Handle) -> String {
    let mut name: *const c_char = std::ptr::null();
    // SAFETY: the caller's; the query writes a pointer to a string owned by
    // the descriptor.
    let status = unsafe {
        (api.primitive_desc_query)(pd, QUERY_IMPL_INFO, 0, &mut name as *mut _ as *mut c_void)
    };
    if status != SUCCESS || name.is_null() {
        return "unknown".to_string();
    }
    // SAFETY: a NUL-terminated string owned by the live descriptor.
    unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}
