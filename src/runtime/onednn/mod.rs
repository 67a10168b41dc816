//! The CPU target's convolutions on oneDNN: `chlast_cudnn_conv`, the call
//! the CUDA pipeline makes for every convolution (one [`ConvSpec`]: layouts,
//! strides, dilations, groups, padding, bias, accumulation, residual and
//! ReLU), run by oneDNN's CPU primitives instead of cuDNN.
//!
//! ```text
//! call @chlast_cudnn_conv(%spec, %x, %w, %y, %bias, %z)      (host code)
//!   -> convolution_forward(x, w', bias) + post-ops sum (y or z), relu
//! ```
//!
//! Per distinct spec (cached for the process):
//! - a primitive is created for the program's own layouts (strides taken
//!   from the spec) when oneDNN has a direct (JIT) kernel for them; when it
//!   only has im2col + GEMM or a reference kernel (typically NCHW), the
//!   primitive picks its layout (`format_tag_any`, blocked channels on x86)
//!   and x and y are reordered in and out around it: the fair channels-first
//!   baseline, and the reorders chlast's layout pass exists to remove;
//! - the filter is reordered once into the primitive's layout and kept; a
//!   later call with the same filter pointer reuses it, at once when the
//!   spec marks it a constant of the program (imported weights), else after
//!   checking its bytes are unchanged (so a computed filter stays correct);
//! - accumulation (y += conv) and the residual (y = conv + z) are oneDNN's
//!   `sum` post-op on y (z copied into y first unless they are the same
//!   buffer); ReLU is an `eltwise_relu` post-op.
//!
//! f16 convolutions (oneDNN has no f16 kernels on AVX2 CPUs) run on the
//! CPU reference ([`crate::runtime::cuda::reference`]); [`stats`] counts
//! them apart. (Convolutions over zero-size tensors never become calls.)
//!
//! oneDNN is loaded at run time ([`api`]), after LLVM's libomp
//! ([`openmp`]) when it is available, so that oneDNN and the compiled
//! program's parallel loops share one OpenMP thread pool, sized from
//! `OMP_NUM_THREADS` (all cores by default) or [`set_threads`].
//!
//! Over 600 lines for a reason: the call's path (describe the spec to
//! oneDNN, create or reuse the primitive, reorder, run) shares the cache
//! entry types; oneDNN's C API is in [`api`], the tests in `tests.rs`.

pub mod api;
pub mod openmp;

use crate::runtime::cuda::{
    reference,
    spec::{ConvOperands, ConvSpec, ElementType, decode_call},
};
use api::{Api, ConvDesc, Dims, ExecArg, Handle, MAX_NDIMS, MemoryDesc, check};
use std::{
    collections::HashMap,
    ffi::c_void,
    panic::{AssertUnwindSafe, catch_unwind},
    ptr::null_mut,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// The CPU engine and its stream, created once.
struct Device {
    engine: Handle,
    stream: Handle,
}

// SAFETY: oneDNN engines and streams may be used from any thread; every
// use here is serialized by `STATE`.
unsafe impl Send for Device {}
// SAFETY: as above.
unsafe impl Sync for Device {}

fn device() -> Result<(&'static Api, &'static Device), String> {
    static DEVICE: OnceLock<Result<Device, String>> = OnceLock::new();
    let api = api::api()?;
    let device = DEVICE
        .get_or_init(|| {
            let (mut engine, mut stream) = (null_mut(), null_mut());
            // SAFETY: out-pointers to handles.
            unsafe {
                check(
                    (api.engine_create)(&mut engine, api::ENGINE_CPU, 0),
                    "dnnl_engine_create",
                )?;
                check(
                    (api.stream_create)(&mut stream, engine, api::STREAM_DEFAULT),
                    "dnnl_stream_create",
                )?;
            }
            Ok(Device { engine, stream })
        })
        .as_ref()
        .map_err(Clone::clone)?;
    Ok((api, device))
}

/// What the oneDNN calls of this process did, for `chlast-run`'s report
/// and the benchmark's profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Convolutions run by oneDNN.
    pub calls: usize,
    /// Of those, the ones whose x and y were reordered in and out (their
    /// layout had no direct kernel).
    pub reordered_calls: usize,
    /// Convolutions run by the CPU reference instead (f16).
    pub reference_calls: usize,
    /// Distinct primitives created.
    pub primitives: usize,
    /// Filter reorders done (once per filter, again if it changed).
    pub filter_reorders: usize,
    /// Time in convolution primitives.
    pub conv_time: Duration,
    /// Time in reorders of activations around them (and residual copies).
    pub reorder_time: Duration,
    /// Calls per implementation name (`jit:avx2`, `gemm:jit`, ...).
    pub implementations: Vec<(String, usize)>,
}

/// A memory object over the caller's buffer (handle set per call) or over
/// a buffer oneDNN allocated.
struct Memory {
    object: Handle,
}

/// A reorder primitive between two descriptors.
struct Reorder {
    primitive: Handle,
}

/// Everything made once for one spec.
struct Prepared {
    primitive: Handle,
    implementation: String,
    /// The caller's x, y and filter, and y's copy for a residual.
    x_user: Memory,
    y_user: Memory,
    z_user: Option<Memory>,
    w_user: MemoryDesc,
    bias: Option<Memory>,
    /// x and y in the primitive's layout with the reorders to and from the
    /// caller's, when they differ.
    x_conv: Option<(Memory, Reorder)>,
    y_conv: Option<(Memory, Reorder, Reorder)>,
    /// Copies z into y (a residual in another buffer than y).
    z_to_y: Option<Reorder>,
    /// The filter in the primitive's layout.
    w_conv: Memory,
    w_reorder: Option<Reorder>,
    /// The filter pointer and bytes `w_conv` was made from.
    w_source: Option<(u64, Vec<u8>)>,
}

// SAFETY: the handles are only used under `STATE`'s lock.
unsafe impl Send for Prepared {}

impl Prepared {
    /// Whether x and y are reordered into the primitive's layout and back.
    fn reorders(&self) -> bool {
        self.x_conv.is_some() || self.y_conv.is_some()
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        let Ok(api) = api::api() else { return };
        let memories = [Some(&self.x_user), Some(&self.y_user), Some(&self.w_conv)]
            .into_iter()
            .chain([self.z_user.as_ref(), self.bias.as_ref()])
            .chain([
                self.x_conv.as_ref().map(|(m, _)| m),
                self.y_conv.as_ref().map(|(m, _, _)| m),
            ])
            .flatten();
        let reorders = [self.w_reorder.as_ref(), self.z_to_y.as_ref()]
            .into_iter()
            .chain(self.x_conv.as_ref().map(|(_, r)| Some(r)))
            .chain(self.y_conv.iter().flat_map(|(_, a, b)| [Some(a), Some(b)]))
            .flatten();
        // SAFETY: each handle was created for this entry and is destroyed
        // once, after its last use.
        unsafe {
            for memory in memories {
                (api.memory_destroy)(memory.object);
            }
            for reorder in reorders {
                (api.primitive_destroy)(reorder.primitive);
            }
            (api.primitive_destroy)(self.primitive);
        }
    }
}

/// Distinct specs kept at once; past this the cache starts afresh (a
/// process running many programs, like the fuzzer, would otherwise grow
/// without bound).
const CACHE_CAPACITY: usize = 1024;

#[derive(Default)]
struct State {
    prepared: HashMap<ConvSpec, Prepared>,
    stats: Stats,
    first_error: Option<String>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(State::default))
}

/// The statistics of this process's calls so far.
pub fn stats() -> Stats {
    with_state(|state| {
        let mut stats = state.stats.clone();
        stats.implementations.sort();
        stats
    })
}

/// The first error a call recorded since the last call of this function
/// (the C entry point cannot return it).
pub fn take_error() -> Option<String> {
    with_state(|state| state.first_error.take())
}

/// Sets the number of threads oneDNN's primitives and the CPU target's
/// parallel loops use (`omp_set_num_threads` of libomp, which serves both
/// when it is available, else of oneDNN's own OpenMP runtime), for the
/// calling thread.
pub fn set_threads(threads: usize) -> Result<(), String> {
    let api = api::api()?;
    match openmp::load() {
        Ok(_) => openmp::set_threads(threads),
        Err(_) => api.set_omp_threads(threads),
    }
}

/// Whether oneDNN can be loaded, or why not.
pub fn available() -> Result<(), String> {
    device().map(|_| ())
}

/// Keeps `error` for [`take_error`] unless an earlier one is there.
pub fn record_error(error: String) {
    with_state(|state| {
        state.first_error.get_or_insert(error);
    });
}

/// The entry point to register as `chlast_cudnn_conv` in an
/// ExecutionEngine running the host code on the CPU.
pub fn symbols() -> Vec<(&'static str, *mut c_void)> {
    vec![("chlast_cudnn_conv", conv_call as *mut c_void)]
}

/// `chlast_cudnn_conv(spec, x, w, y, bias, z)` on oneDNN: the arguments of
/// the CUDA runtime's entry point. Errors are recorded for [`take_error`].
/// (Also the entry point of `libchlast_cpu_runtime.so`, for objects
/// compiled ahead of time.)
///
/// # Safety
///
/// `spec` points to a conv spec the compiled code holds; the addresses are
/// buffers of its shapes.
pub unsafe extern "C" fn conv_call(spec: *const i64, x: u64, w: u64, y: u64, bias: u64, z: u64) {
    let run = || -> Result<(), String> {
        // SAFETY: the compiled code passes the address of its constant spec.
        let (spec, operands) =
            unsafe { decode_call(spec, x, w, y, bias, z) }.map_err(|e| e.to_string())?;
        // SAFETY: the compiled code passes buffers of the spec's shapes.
        unsafe { forward(&spec, &operands) }.map(drop)
    };
    let result = catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|_| Err("the oneDNN convolution panicked".to_string()));
    if let Err(error) = result {
        record_error(error);
    }
}

/// How one convolution was run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// By the CPU reference (f16).
    Reference,
    /// By a oneDNN primitive.
    OneDnn {
        /// Its implementation name (`jit:avx2`, ...).
        implementation: String,
        /// Whether x and y were reordered into its layout and back.
        reordered: bool,
    },
}

/// Runs the convolution of `spec` with oneDNN (or the CPU reference for
/// what oneDNN cannot run here).
///
/// # Safety
///
/// As [`reference::forward`]: the operands address host buffers of the
/// spec's shapes and strides; y overlaps neither x, w nor the bias.
pub unsafe fn forward(spec: &ConvSpec, operands: &ConvOperands) -> Result<Route, String> {
    spec.validate().map_err(|e| e.to_string())?;
    if spec.element == ElementType::F16 {
        with_state(|state| state.stats.reference_calls += 1);
        // SAFETY: the caller's.
        unsafe { reference::forward(spec, operands) }.map_err(|e| e.to_string())?;
        return Ok(Route::Reference);
    }
    let (api, device) = device()?;
    with_state(|state| {
        if !state.prepared.contains_key(spec) {
            if state.prepared.len() >= CACHE_CAPACITY {
                state.prepared.clear();
            }
            let prepared = prepare(api, device, spec)?;
            state.stats.primitives += 1;
            state.prepared.insert(spec.clone(), prepared);
        }
        let State {
            prepared, stats, ..
        } = state;
        let prepared = prepared.get_mut(spec).expect("inserted above");
        // SAFETY: the caller's.
        unsafe { execute(api, device, spec, prepared, operands, stats) }
    })
}

/// Dims and strides of oneDNN's logical order for the filter: (G,) K/G,
/// C/G, spatial..., with the strides of the spec's filter format.
fn filter_dims(spec: &ConvSpec) -> (Vec<i64>, Vec<i64>) {
    let (k, c) = (spec.w_dims[0], spec.w_dims[1]);
    let spatial = &spec.w_dims[2..];
    let (k_stride, c_stride, spatial_strides) = spec.filter_strides();
    let groups = spec.groups;
    let mut dims = vec![];
    let mut strides = vec![];
    if groups > 1 {
        dims.push(groups);
        strides.push(k / groups * k_stride);
    }
    dims.extend([k / groups, c]);
    strides.extend([k_stride, c_stride]);
    dims.extend(spatial);
    strides.extend(spatial_strides);
    (dims, strides)
}

fn dims_array(values: &[i64]) -> Dims {
    let mut dims = [0; MAX_NDIMS];
    dims[..values.len()].copy_from_slice(values);
    dims
}

fn strided(api: &Api, dims: &[i64], strides: &[i64]) -> Result<MemoryDesc, String> {
    let mut desc = MemoryDesc::zeroed();
    let (dims_, strides_) = (dims_array(dims), dims_array(strides));
    // SAFETY: arrays of MAX_NDIMS values.
    check(
        unsafe {
            (api.memory_desc_init_by_strides)(
                &mut desc,
                dims.len() as i32,
                dims_.as_ptr(),
                api::F32,
                strides_.as_ptr(),
            )
        },
        "dnnl_memory_desc_init_by_strides",
    )?;
    Ok(desc)
}

fn any_layout(api: &Api, dims: &[i64]) -> Result<MemoryDesc, String> {
    let mut desc = MemoryDesc::zeroed();
    let dims_ = dims_array(dims);
    // SAFETY: an array of MAX_NDIMS values.
    check(
        unsafe {
            (api.memory_desc_init_by_tag)(
                &mut desc,
                dims.len() as i32,
                dims_.as_ptr(),
                api::F32,
                api::FORMAT_ANY,
            )
        },
        "dnnl_memory_desc_init_by_tag",
    )?;
    Ok(desc)
}

/// A memory object over `desc`: the caller's buffer set later (`None`), or
/// one oneDNN allocates (`allocate`).
fn memory(api: &Api, device: &Device, desc: MemoryDesc, allocate: bool) -> Result<Memory, String> {
    let mut object = null_mut();
    let handle = if allocate {
        usize::MAX as *mut c_void // DNNL_MEMORY_ALLOCATE
    } else {
        null_mut() // DNNL_MEMORY_NONE
    };
    // SAFETY: a valid descriptor and engine.
    check(
        unsafe { (api.memory_create)(&mut object, &desc, device.engine, handle) },
        "dnnl_memory_create",
    )?;
    Ok(Memory { object })
}

fn reorder(
    api: &Api,
    device: &Device,
    from: &MemoryDesc,
    to: &MemoryDesc,
) -> Result<Reorder, String> {
    let (mut pd, mut primitive) = (null_mut(), null_mut());
    // SAFETY: valid descriptors and engine; the descriptor is destroyed
    // once the primitive holds what it needs.
    unsafe {
        check(
            (api.reorder_primitive_desc_create)(
                &mut pd,
                from,
                device.engine,
                to,
                device.engine,
                null_mut(),
            ),
            "dnnl_reorder_primitive_desc_create",
        )?;
        let created = check(
            (api.primitive_create)(&mut primitive, pd),
            "dnnl_primitive_create (reorder)",
        );
        (api.primitive_desc_destroy)(pd);
        created?;
    }
    Ok(Reorder { primitive })
}

/// A convolution primitive descriptor for x and y in `x_desc`/`y_desc`
/// (the filter in the layout the primitive picks), with its post-ops.
fn conv_primitive_desc(
    api: &Api,
    device: &Device,
    spec: &ConvSpec,
    x_desc: &MemoryDesc,
    y_desc: &MemoryDesc,
) -> Result<Handle, String> {
    let (w_dims, _) = filter_dims(spec);
    let w_any = any_layout(api, &w_dims)?;
    let bias_desc = if spec.has_bias {
        Some(strided(api, &[spec.y_dims[1]], &[1])?)
    } else {
        None
    };
    let rank = spec.rank;
    // oneDNN's right padding makes its output size formula give y's size.
    let right: Vec<i64> = (0..rank)
        .map(|d| {
            let extent = (spec.w_dims[2 + d] - 1) * spec.dilations[d] + 1;
            (spec.y_dims[2 + d] - 1) * spec.conv_strides[d] + extent
                - spec.x_dims[2 + d]
                - spec.pads[d]
        })
        .collect();
    let dilations: Vec<i64> = spec.dilations.iter().map(|d| d - 1).collect();
    let mut desc = Box::new(ConvDesc([0; 5976]));
    let (strides_, dilations_, left_, right_) = (
        dims_array(&spec.conv_strides),
        dims_array(&dilations),
        dims_array(&spec.pads),
        dims_array(&right),
    );
    // SAFETY: valid descriptors and arrays of MAX_NDIMS values.
    check(
        unsafe {
            (api.dilated_convolution_forward_desc_init)(
                &mut *desc,
                api::FORWARD_INFERENCE,
                api::CONVOLUTION_DIRECT,
                x_desc,
                &w_any,
                bias_desc
                    .as_ref()
                    .map_or(std::ptr::null(), |d| d as *const _),
                y_desc,
                strides_.as_ptr(),
                dilations_.as_ptr(),
                left_.as_ptr(),
                right_.as_ptr(),
            )
        },
        "dnnl_dilated_convolution_forward_desc_init",
    )?;
    let (mut attr, mut post_ops, mut pd) = (null_mut(), null_mut(), null_mut());
    // SAFETY: attribute and post-op objects are created, used and
    // destroyed here; the primitive descriptor copies what it needs.
    unsafe {
        check(
            (api.primitive_attr_create)(&mut attr),
            "dnnl_primitive_attr_create",
        )?;
        let result = (|| {
            check((api.post_ops_create)(&mut post_ops), "dnnl_post_ops_create")?;
            if spec.accumulate || spec.residual {
                check(
                    (api.post_ops_append_sum)(post_ops, 1.0),
                    "dnnl_post_ops_append_sum",
                )?;
            }
            if spec.relu {
                check(
                    (api.post_ops_append_eltwise)(post_ops, 1.0, api::ELTWISE_RELU, 0.0, 0.0),
                    "dnnl_post_ops_append_eltwise",
                )?;
            }
            check(
                (api.primitive_attr_set_post_ops)(attr, post_ops),
                "dnnl_primitive_attr_set_post_ops",
            )?;
            check(
                (api.primitive_desc_create)(
                    &mut pd,
                    &*desc as *const ConvDesc as *const c_void,
                    attr,
                    device.engine,
                    null_mut(),
                ),
                "dnnl_primitive_desc_create (convolution)",
            )
        })();
        if !post_ops.is_null() {
            (api.post_ops_destroy)(post_ops);
        }
        (api.primitive_attr_destroy)(attr);
        result?;
    }
    Ok(pd)
}

/// Whether an implementation is a direct kernel (not im2col + GEMM or the
/// reference loops).
fn is_direct(implementation: &str) -> bool {
    !(implementation.contains("gemm") || implementation.contains("ref"))
}

fn prepare(api: &Api, device: &Device, spec: &ConvSpec) -> Result<Prepared, String> {
    let x_user = strided(api, &spec.x_dims, &spec.x_strides)?;
    let y_user = strided(api, &spec.y_dims, &spec.y_strides)?;
    let (w_dims, w_strides) = filter_dims(spec);
    let w_user = strided(api, &w_dims, &w_strides)?;
    // The caller's layouts first; the primitive's own when they have no
    // direct kernel.
    let mut pd = conv_primitive_desc(api, device, spec, &x_user, &y_user)?;
    // SAFETY: a live descriptor.
    let mut implementation = unsafe { api::implementation(api, pd) };
    let mut own_layouts = false;
    if !is_direct(&implementation) {
        let x_any = any_layout(api, &spec.x_dims)?;
        let y_any = any_layout(api, &spec.y_dims)?;
        if let Ok(any_pd) = conv_primitive_desc(api, device, spec, &x_any, &y_any) {
            // SAFETY: live descriptors.
            let any_implementation = unsafe { api::implementation(api, any_pd) };
            if is_direct(&any_implementation) {
                unsafe { (api.primitive_desc_destroy)(pd) };
                pd = any_pd;
                implementation = any_implementation;
                own_layouts = true;
            } else {
                unsafe { (api.primitive_desc_destroy)(any_pd) };
            }
        }
    }
    // SAFETY: queries of a live descriptor return descriptors it owns,
    // copied out here; the descriptor is destroyed after the primitive is
    // created.
    let (x_conv, y_conv, w_conv, primitive) = unsafe {
        let x_conv = *(api.primitive_desc_query_md)(pd, api::QUERY_SRC_MD, 0);
        let y_conv = *(api.primitive_desc_query_md)(pd, api::QUERY_DST_MD, 0);
        let w_conv = *(api.primitive_desc_query_md)(pd, api::QUERY_WEIGHTS_MD, 0);
        let mut primitive = null_mut();
        let created = check(
            (api.primitive_create)(&mut primitive, pd),
            "dnnl_primitive_create (convolution)",
        );
        (api.primitive_desc_destroy)(pd);
        created?;
        (x_conv, y_conv, w_conv, primitive)
    };
    let differs = |a: &MemoryDesc, b: &MemoryDesc| {
        // SAFETY: initialized descriptors.
        unsafe { (api.memory_desc_equal)(a, b) == 0 }
    };
    let x_conv = if own_layouts && differs(&x_user, &x_conv) {
        Some((
            memory(api, device, x_conv, true)?,
            reorder(api, device, &x_user, &x_conv)?,
        ))
    } else {
        None
    };
    let y_conv = if own_layouts && differs(&y_user, &y_conv) {
        Some((
            memory(api, device, y_conv, true)?,
            reorder(api, device, &y_user, &y_conv)?,
            reorder(api, device, &y_conv, &y_user)?,
        ))
    } else {
        None
    };
    let w_reorder = if differs(&w_user, &w_conv) {
        Some(reorder(api, device, &w_user, &w_conv)?)
    } else {
        None
    };
    let w_conv = memory(api, device, w_conv, w_reorder.is_some())?;
    let bias = if spec.has_bias {
        Some(memory(
            api,
            device,
            strided(api, &[spec.y_dims[1]], &[1])?,
            false,
        )?)
    } else {
        None
    };
    let (z_user, z_to_y) = if spec.residual {
        (
            Some(memory(api, device, y_user, false)?),
            Some(reorder(api, device, &y_user, &y_user)?),
        )
    } else {
        (None, None)
    };
    Ok(Prepared {
        primitive,
        implementation,
        x_user: memory(api, device, x_user, false)?,
        y_user: memory(api, device, y_user, false)?,
        z_user,
        w_user,
        bias,
        x_conv,
        y_conv,
        z_to_y,
        w_conv,
        w_reorder,
        w_source: None,
    })
}

/// Runs `primitive` on `args` and waits for it.
///
/// # Safety
/// The memory objects must be set to live buffers of their descriptors.
unsafe fn run(
    api: &Api,
    device: &Device,
    primitive: Handle,
    args: &[ExecArg],
    what: &str,
) -> Result<(), String> {
    // SAFETY: the caller's.
    unsafe {
        check(
            (api.primitive_execute)(primitive, device.stream, args.len() as i32, args.as_ptr()),
            what,
        )?;
        check((api.stream_wait)(device.stream), "dnnl_stream_wait")
    }
}

fn arg(arg: i32, memory: &Memory) -> ExecArg {
    ExecArg {
        arg,
        memory: memory.object,
    }
}

/// Reorders `from` into `to` (a copy between layouts).
///
/// # Safety
/// As [`run`].
unsafe fn copy(
    api: &Api,
    device: &Device,
    reorder: &Reorder,
    from: &Memory,
    to: &Memory,
) -> Result<(), String> {
    let args = [arg(api::ARG_SRC, from), arg(api::ARG_DST, to)];
    // SAFETY: the caller's.
    unsafe { run(api, device, reorder.primitive, &args, "reorder") }
}

/// # Safety
/// As [`forward`].
unsafe fn execute(
    api: &Api,
    device: &Device,
    spec: &ConvSpec,
    prepared: &mut Prepared,
    operands: &ConvOperands,
    stats: &mut Stats,
) -> Result<Route, String> {
    let set = |memory: &Memory, address: u64| {
        // SAFETY: a live memory object; the address is the caller's buffer.
        check(
            unsafe { (api.memory_set_data_handle)(memory.object, address as *mut c_void) },
            "dnnl_memory_set_data_handle",
        )
    };
    set(&prepared.x_user, operands.x)?;
    set(&prepared.y_user, operands.y)?;
    if let (Some(bias), Some(address)) = (&prepared.bias, operands.bias) {
        set(bias, address)?;
    }
    // The filter, reordered once per filter (and again if it changed).
    if let Some(w_reorder) = &prepared.w_reorder {
        let bytes = spec.w_bytes();
        // SAFETY: the filter buffer holds the spec's w_bytes.
        let current = unsafe { std::slice::from_raw_parts(operands.w as *const u8, bytes) };
        // A constant filter at the same address is the same filter; any
        // other is compared byte for byte.
        let fresh = match &prepared.w_source {
            Some((address, _)) if spec.constant_filter => *address != operands.w,
            Some((address, saved)) => *address != operands.w || saved.as_slice() != current,
            None => true,
        };
        if fresh {
            let w_user = memory(api, device, prepared.w_user, false)?;
            set(&w_user, operands.w)?;
            // SAFETY: both memory objects are set to live buffers.
            let copied = unsafe { copy(api, device, w_reorder, &w_user, &prepared.w_conv) };
            // SAFETY: created above.
            unsafe { (api.memory_destroy)(w_user.object) };
            copied?;
            prepared.w_source = Some((operands.w, current.to_vec()));
            stats.filter_reorders += 1;
        }
    } else {
        set(&prepared.w_conv, operands.w)?;
    }
    let start = Instant::now();
    // The residual goes into y, where the sum post-op reads it.
    if let (Some(z_user), Some(z_to_y), Some(z)) = (&prepared.z_user, &prepared.z_to_y, operands.z)
        && z != operands.y
    {
        set(z_user, z)?;
        // SAFETY: z and y are live buffers of y's descriptor.
        unsafe { copy(api, device, z_to_y, z_user, &prepared.y_user) }?;
    }
    if let Some((x_conv, to_conv)) = &prepared.x_conv {
        // SAFETY: live buffers.
        unsafe { copy(api, device, to_conv, &prepared.x_user, x_conv) }?;
    }
    if let Some((y_conv, to_conv, _)) = &prepared.y_conv
        && (spec.accumulate || spec.residual)
    {
        // SAFETY: live buffers.
        unsafe { copy(api, device, to_conv, &prepared.y_user, y_conv) }?;
    }
    let before_conv = start.elapsed();
    let x = prepared
        .x_conv
        .as_ref()
        .map_or(&prepared.x_user, |(m, _)| m);
    let y = prepared
        .y_conv
        .as_ref()
        .map_or(&prepared.y_user, |(m, _, _)| m);
    let mut args = vec![
        arg(api::ARG_SRC, x),
        arg(api::ARG_WEIGHTS, &prepared.w_conv),
        arg(api::ARG_DST, y),
    ];
    if let Some(bias) = &prepared.bias {
        args.push(arg(api::ARG_BIAS, bias));
    }
    let conv_start = Instant::now();
    // SAFETY: every memory object is set to a live buffer.
    unsafe { run(api, device, prepared.primitive, &args, "convolution") }?;
    let conv_time = conv_start.elapsed();
    let after_start = Instant::now();
    if let Some((y_conv, _, from_conv)) = &prepared.y_conv {
        // SAFETY: live buffers.
        unsafe { copy(api, device, from_conv, y_conv, &prepared.y_user) }?;
    }
    stats.calls += 1;
    stats.reordered_calls += usize::from(prepared.reorders());
    stats.conv_time += conv_time;
    stats.reorder_time += before_conv + after_start.elapsed();
    match stats
        .implementations
        .iter_mut()
        .find(|(name, _)| *name == prepared.implementation)
    {
        Some((_, count)) => *count += 1,
        None => stats
            .implementations
            .push((prepared.implementation.clone(), 1)),
    }
    Ok(Route::OneDnn {
        implementation: prepared.implementation.clone(),
        reordered: prepared.reorders(),
    })
}

#[cfg(test)]
mod tests;
