//! cuDNN convolutions through cudarc's raw bindings (the legacy descriptor
//! API of cuDNN 9): loading the library, building descriptors from a
//! [`ConvSpec`], choosing an algorithm, and running the convolution.
//!
//! Building descriptors needs `libcudnn.so.9` but no GPU; creating a
//! [`Cudnn`] handle needs a GPU and a current CUDA context (without one,
//! `cudnnCreate` fails with `CUDNN_STATUS_NOT_INITIALIZED`).

use super::{
    CUDNN_LIB_ENV, CudaError, driver,
    spec::{ConvOperands, ConvSpec, ElementType},
};
use cudarc::cudnn::sys as dnn;
use cudarc::driver::sys as cu;
use std::{
    collections::{HashMap, hash_map::Entry},
    ffi::{OsStr, c_void},
    panic::{AssertUnwindSafe, catch_unwind},
    ptr::null_mut,
    sync::OnceLock,
};

/// Makes sure `libcudnn.so.9` is loaded and is cuDNN 9, so that cudarc's
/// bindings will not panic. Honours [`CUDNN_LIB_ENV`] (see the module docs
/// of [`super`]); the outcome is decided once per process.
pub fn load_cudnn() -> Result<(), CudaError> {
    static LOADED: OnceLock<Result<(), CudaError>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let explicit = std::env::var_os(CUDNN_LIB_ENV).filter(|path| !path.is_empty());
            load_from(explicit.as_deref())
        })
        .clone()
}

/// Loads cuDNN, first from `explicit` (a full path) if given.
fn load_from(explicit: Option<&OsStr>) -> Result<(), CudaError> {
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        // The explicit library, and the address of its cudnnGetVersion.
        let preloaded = match explicit {
            Some(path) => {
                let library = preload(path)?;
                // SAFETY: only the symbol's address is taken.
                let version_symbol =
                    unsafe { library.get::<unsafe extern "C" fn() -> usize>(b"cudnnGetVersion") }
                        .map(|symbol| symbol.as_raw_ptr())
                        .map_err(|_| CudaError::CudnnNotFound {
                            detail: Some(format!(
                                "{CUDNN_LIB_ENV}={} has no cudnnGetVersion: it is not cuDNN",
                                path.to_string_lossy()
                            )),
                        })?;
                Some((path, library, version_symbol))
            }
            None => None,
        };
        // SAFETY: probing dlopen's libcudnn under cudarc's candidate names
        // and closes them again; cuDNN's initializers have no preconditions.
        if !unsafe { dnn::is_culib_present() } {
            let detail = match &preloaded {
                Some((path, ..)) => format!(
                    "{CUDNN_LIB_ENV}={} was loaded, but its soname is not libcudnn.so.9",
                    path.to_string_lossy()
                ),
                None => "not on the dynamic loader's path (LD_LIBRARY_PATH, ldconfig)".to_string(),
            };
            return Err(CudaError::CudnnNotFound {
                detail: Some(detail),
            });
        }
        // SAFETY: the library was just found, so cudarc's lookup succeeds.
        let library = unsafe { dnn::culib() };
        if let Some((path, ours, mine)) = preloaded {
            // SAFETY: only the symbol's address is taken.
            let theirs = unsafe {
                library
                    .get::<unsafe extern "C" fn() -> usize>(b"cudnnGetVersion")
                    .ok()
                    .and_then(|symbol| symbol.try_as_raw_ptr())
            };
            if Some(mine) != theirs {
                return Err(CudaError::CudnnNotFound {
                    detail: Some(format!(
                        "{CUDNN_LIB_ENV}={} was loaded, but another libcudnn found by name \
                         (an unversioned libcudnn.so on the loader's path?) takes precedence",
                        path.to_string_lossy()
                    )),
                });
            }
            // cudarc holds its own reference; keep ours for the process too.
            std::mem::forget(ours);
        }
        // SAFETY: the library is loaded; cudnnGetVersion has no arguments.
        let version = unsafe { dnn::cudnnGetVersion() };
        if version / 10000 != 9 {
            return Err(CudaError::CudnnVersion {
                found: format!(
                    "{}.{}.{}",
                    version / 10000,
                    version % 10000 / 100,
                    version % 100
                ),
            });
        }
        Ok(())
    }));
    loaded.unwrap_or_else(|_| {
        Err(CudaError::CudnnNotFound {
            detail: Some("loading it panicked (a missing symbol?)".to_string()),
        })
    })
}

/// Loads `path` globally, so that a later `dlopen("libcudnn.so.9")` (by
/// cudarc) finds it by its soname.
fn preload(path: &OsStr) -> Result<libloading::os::unix::Library, CudaError> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: cuDNN's initializers have no preconditions.
    unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }.map_err(|error| {
        // libloading's message is "dlopen failed"; the loader's is its source.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        CudaError::CudnnNotFound {
            detail: Some(format!(
                "{CUDNN_LIB_ENV}={}: {message}",
                path.to_string_lossy()
            )),
        }
    })
}

/// Turns a cuDNN status into a result.
pub(crate) fn check(function: &'static str, status: dnn::cudnnStatus_t) -> Result<(), CudaError> {
    if status == dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(CudaError::Cudnn {
            function,
            status: format!("{status:?}"),
        })
    }
}

fn data_type(element: ElementType) -> dnn::cudnnDataType_t {
    match element {
        ElementType::F32 => dnn::cudnnDataType_t::CUDNN_DATA_FLOAT,
        ElementType::F16 => dnn::cudnnDataType_t::CUDNN_DATA_HALF,
    }
}

/// Converts validated values (positive, at most `i32::MAX`) for cuDNN.
fn ints(values: &[i64]) -> Result<Vec<i32>, CudaError> {
    values
        .iter()
        .map(|&v| {
            i32::try_from(v).map_err(|_| CudaError::BadSpec(format!("{v} does not fit in an i32")))
        })
        .collect()
}

/// An owned `cudnnTensorDescriptor_t`.
struct TensorDescriptor(dnn::cudnnTensorDescriptor_t);

impl TensorDescriptor {
    fn new(
        data_type: dnn::cudnnDataType_t,
        dims: &[i32],
        strides: &[i32],
    ) -> Result<Self, CudaError> {
        let mut raw = null_mut();
        // SAFETY: writes one handle.
        check("cudnnCreateTensorDescriptor", unsafe {
            dnn::cudnnCreateTensorDescriptor(&mut raw)
        })?;
        let descriptor = TensorDescriptor(raw);
        debug_assert_eq!(dims.len(), strides.len());
        // SAFETY: both arrays hold `dims.len()` values.
        check("cudnnSetTensorNdDescriptor", unsafe {
            dnn::cudnnSetTensorNdDescriptor(
                raw,
                data_type,
                dims.len() as i32,
                dims.as_ptr(),
                strides.as_ptr(),
            )
        })?;
        Ok(descriptor)
    }
}

impl Drop for TensorDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateTensorDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyTensorDescriptor(self.0) };
    }
}

/// An owned `cudnnFilterDescriptor_t`.
struct FilterDescriptor(dnn::cudnnFilterDescriptor_t);

impl Drop for FilterDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateFilterDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyFilterDescriptor(self.0) };
    }
}

/// An owned `cudnnConvolutionDescriptor_t`.
struct ConvolutionDescriptor(dnn::cudnnConvolutionDescriptor_t);

impl Drop for ConvolutionDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateConvolutionDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyConvolutionDescriptor(self.0) };
    }
}

/// An owned `cudnnActivationDescriptor_t`.
struct ActivationDescriptor(dnn::cudnnActivationDescriptor_t);

impl ActivationDescriptor {
    /// ReLU propagates NaN, as `arith.maximumf` does.
    fn new(mode: dnn::cudnnActivationMode_t) -> Result<Self, CudaError> {
        let mut raw = null_mut();
        // SAFETY: writes one handle.
        check("cudnnCreateActivationDescriptor", unsafe {
            dnn::cudnnCreateActivationDescriptor(&mut raw)
        })?;
        let descriptor = ActivationDescriptor(raw);
        // SAFETY: a live descriptor.
        check("cudnnSetActivationDescriptor", unsafe {
            dnn::cudnnSetActivationDescriptor(
                raw,
                mode,
                dnn::cudnnNanPropagation_t::CUDNN_PROPAGATE_NAN,
                0.0,
            )
        })?;
        Ok(descriptor)
    }
}

impl Drop for ActivationDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateActivationDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyActivationDescriptor(self.0) };
    }
}

/// The cuDNN descriptors of one convolution: x and y tensors (dims and
/// strides from the spec), the filter (data type, KCRS = NCHW or KRSC =
/// NHWC format, dims), the convolution (padding, strides, dilations,
/// cross-correlation, f32 compute, groups, math type), with a bias or a
/// fused epilogue the bias tensor `1 x K x 1 x 1 [x 1]`, and with a fused
/// epilogue the activation (ReLU, or identity for a residual alone). The
/// residual z is described by y's descriptor (it has y's dims and strides).
pub struct ConvDescriptors {
    x: TensorDescriptor,
    w: FilterDescriptor,
    conv: ConvolutionDescriptor,
    y: TensorDescriptor,
    bias: Option<TensorDescriptor>,
    activation: Option<ActivationDescriptor>,
    dims: usize,
}

// SAFETY: descriptors are host-side cuDNN objects owned by this value; they
// are only used through `&self`/`&mut self`, never concurrently.
unsafe impl Send for ConvDescriptors {}

impl ConvDescriptors {
    /// Builds the descriptors of `spec` (after [`ConvSpec::validate`]) and
    /// checks that cuDNN's output dims are the spec's y dims. Needs cuDNN,
    /// not a GPU.
    pub fn new(spec: &ConvSpec) -> Result<ConvDescriptors, CudaError> {
        load_cudnn()?;
        spec.validate()?;
        let data_type = data_type(spec.element);
        let x = TensorDescriptor::new(data_type, &ints(&spec.x_dims)?, &ints(&spec.x_strides)?)?;
        let y = TensorDescriptor::new(data_type, &ints(&spec.y_dims)?, &ints(&spec.y_strides)?)?;

        let mut raw = null_mut();
        // SAFETY: writes one handle.
        check("cudnnCreateFilterDescriptor", unsafe {
            dnn::cudnnCreateFilterDescriptor(&mut raw)
        })?;
        let w = FilterDescriptor(raw);
        let format = match spec.filter_format {
            super::spec::FilterFormat::Kcrs => dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW,
            super::spec::FilterFormat::Krsc => dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NHWC,
        };
        let w_dims = ints(&spec.w_dims)?;
        // SAFETY: `w_dims` holds the given number of values.
        check("cudnnSetFilterNdDescriptor", unsafe {
            dnn::cudnnSetFilterNdDescriptor(
                w.0,
                data_type,
                format,
                w_dims.len() as i32,
                w_dims.as_ptr(),
            )
        })?;

        let mut raw = null_mut();
        // SAFETY: writes one handle.
        check("cudnnCreateConvolutionDescriptor", unsafe {
            dnn::cudnnCreateConvolutionDescriptor(&mut raw)
        })?;
        let conv = ConvolutionDescriptor(raw);
        let pads = ints(&spec.pads)?;
        let strides = ints(&spec.conv_strides)?;
        let dilations = ints(&spec.dilations)?;
        // SAFETY: the three arrays hold `rank` values each.
        check("cudnnSetConvolutionNdDescriptor", unsafe {
            dnn::cudnnSetConvolutionNdDescriptor(
                conv.0,
                spec.rank as i32,
                pads.as_ptr(),
                strides.as_ptr(),
                dilations.as_ptr(),
                dnn::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION,
                dnn::cudnnDataType_t::CUDNN_DATA_FLOAT,
            )
        })?;
        // SAFETY: a live descriptor; groups was validated to fit an i32.
        check("cudnnSetConvolutionGroupCount", unsafe {
            dnn::cudnnSetConvolutionGroupCount(conv.0, spec.groups as i32)
        })?;
        let math = match spec.element {
            ElementType::F32 => dnn::cudnnMathType_t::CUDNN_DEFAULT_MATH,
            ElementType::F16 => dnn::cudnnMathType_t::CUDNN_TENSOR_OP_MATH,
        };
        // SAFETY: a live descriptor.
        check("cudnnSetConvolutionMathType", unsafe {
            dnn::cudnnSetConvolutionMathType(conv.0, math)
        })?;

        // cudnnConvolutionBiasActivationForward always takes a bias (zeros
        // when the spec has none).
        let bias = if spec.has_bias || spec.is_fused() {
            let mut dims = vec![1i32; spec.rank + 2];
            dims[1] = ints(&spec.w_dims[..1])?[0];
            let mut strides = vec![1i32; spec.rank + 2];
            strides[0] = dims[1];
            Some(TensorDescriptor::new(data_type, &dims, &strides)?)
        } else {
            None
        };

        let activation = if spec.is_fused() {
            Some(ActivationDescriptor::new(if spec.relu {
                dnn::cudnnActivationMode_t::CUDNN_ACTIVATION_RELU
            } else {
                dnn::cudnnActivationMode_t::CUDNN_ACTIVATION_IDENTITY
            })?)
        } else {
            None
        };

        let descriptors = ConvDescriptors {
            x,
            w,
            conv,
            y,
            bias,
            activation,
            dims: spec.rank + 2,
        };
        let output = descriptors.output_dims()?;
        if output != spec.y_dims {
            return Err(CudaError::BadSpec(format!(
                "y dims {:?} differ from the convolution's output dims {output:?}",
                spec.y_dims
            )));
        }
        Ok(descriptors)
    }

    /// The output dims N, K, spatial... as cuDNN computes them
    /// (`cudnnGetConvolutionNdForwardOutputDim`).
    pub fn output_dims(&self) -> Result<Vec<i64>, CudaError> {
        let mut dims = vec![0i32; self.dims];
        // SAFETY: live descriptors; `dims` holds `self.dims` values.
        check("cudnnGetConvolutionNdForwardOutputDim", unsafe {
            dnn::cudnnGetConvolutionNdForwardOutputDim(
                self.conv.0,
                self.x.0,
                self.w.0,
                self.dims as i32,
                dims.as_mut_ptr(),
            )
        })?;
        Ok(dims.into_iter().map(i64::from).collect())
    }
}

/// A convolution ready to run: its descriptors and chosen algorithm, and
/// for a spec with a ReLU or residual whether it runs as one
/// `cudnnConvolutionBiasActivationForward` (else as separate cuDNN calls).
struct Plan {
    descriptors: ConvDescriptors,
    algorithm: dnn::cudnnConvolutionFwdAlgo_t,
    workspace_bytes: usize,
    fused: bool,
}

/// Whether a status of `cudnnConvolutionBiasActivationForward` says that
/// the fused call does not take this configuration (`NOT_SUPPORTED*`, or
/// `BAD_PARAM*`: its rules on data types, algorithms and activations are
/// stricter than the plain convolution's). The separate calls are tried
/// then; they report a real problem themselves.
fn fused_call_refused(status: dnn::cudnnStatus_t) -> bool {
    let name = format!("{status:?}");
    name.starts_with("CUDNN_STATUS_NOT_SUPPORTED") || name.starts_with("CUDNN_STATUS_BAD_PARAM")
}

/// A device buffer that grows to the largest size asked for; allocated,
/// zeroed and freed on the runtime's stream, so a smaller buffer still in
/// use by queued work is freed only after that work.
#[derive(Default)]
struct GrowingBuffer {
    pointer: cu::CUdeviceptr,
    bytes: usize,
}

impl GrowingBuffer {
    /// Makes the buffer at least `bytes` long (its contents are lost when
    /// it grows); with `zeroed`, a new buffer is filled with zero bytes.
    fn reserve(&mut self, bytes: usize, zeroed: bool) -> Result<(), CudaError> {
        if bytes <= self.bytes {
            return Ok(());
        }
        self.free()?;
        let buffer = driver::alloc_device(bytes)?;
        self.pointer = buffer as cu::CUdeviceptr;
        self.bytes = bytes;
        if zeroed {
            // SAFETY: our buffer of `bytes` bytes.
            unsafe { driver::zero_device(buffer, bytes) }?;
        }
        Ok(())
    }

    fn free(&mut self) -> Result<(), CudaError> {
        if self.pointer != 0 {
            // SAFETY: our buffer from alloc_device, freed once.
            unsafe { driver::free(self.pointer as usize as *mut u8) }?;
            self.pointer = 0;
            self.bytes = 0;
        }
        Ok(())
    }
}

/// A cuDNN handle on the runtime's stream, with per-spec plans (descriptors,
/// algorithm and workspace size, keyed by [`ConvSpec::plan_key`]), a
/// workspace buffer that grows to the largest size needed, and a zero bias
/// for fused calls without one.
pub struct Cudnn {
    handle: dnn::cudnnHandle_t,
    plans: HashMap<Vec<i64>, Plan>,
    workspace: GrowingBuffer,
    zeros: GrowingBuffer,
}

// SAFETY: the handle and buffers are owned by this value and only used
// through `&mut self`, i.e. never concurrently; the runtime keeps its
// `Cudnn` behind a mutex.
unsafe impl Send for Cudnn {}

impl Cudnn {
    /// Creates a handle for the current CUDA context (see
    /// [`super::CudaRuntime::open`]), working on `stream`.
    pub fn new(stream: cu::CUstream) -> Result<Cudnn, CudaError> {
        load_cudnn()?;
        let mut handle = null_mut();
        // SAFETY: writes one handle.
        check("cudnnCreate", unsafe { dnn::cudnnCreate(&mut handle) })?;
        let cudnn = Cudnn {
            handle,
            plans: HashMap::new(),
            workspace: GrowingBuffer::default(),
            zeros: GrowingBuffer::default(),
        };
        // SAFETY: a live handle and stream (cudarc's driver and cuDNN
        // bindings name the same CUstream_st).
        check("cudnnSetStream", unsafe {
            dnn::cudnnSetStream(cudnn.handle, stream.cast())
        })?;
        Ok(cudnn)
    }

    /// The algorithm and workspace size used for `spec`, chosen on first
    /// use by `cudnnGetConvolutionForwardAlgorithm_v7` (the fastest
    /// result whose status is success; the descriptor's math type is set
    /// to that result's) and cached. A residual without ReLU runs fused
    /// only with `IMPLICIT_PRECOMP_GEMM` (cuDNN's rule for the identity
    /// activation), which is then chosen when it is among the results.
    pub fn algorithm(
        &mut self,
        spec: &ConvSpec,
    ) -> Result<(dnn::cudnnConvolutionFwdAlgo_t, usize), CudaError> {
        let key = self.plan(spec)?;
        let plan = &self.plans[&key];
        Ok((plan.algorithm, plan.workspace_bytes))
    }

    /// Makes sure `spec` has a plan; returns its key in `self.plans`.
    fn plan(&mut self, spec: &ConvSpec) -> Result<Vec<i64>, CudaError> {
        let key = spec.plan_key();
        if let Entry::Vacant(entry) = self.plans.entry(key.clone()) {
            entry.insert(Self::choose(self.handle, spec)?);
        }
        Ok(key)
    }

    fn choose(handle: dnn::cudnnHandle_t, spec: &ConvSpec) -> Result<Plan, CudaError> {
        let descriptors = ConvDescriptors::new(spec)?;
        let empty = dnn::cudnnConvolutionFwdAlgoPerf_t {
            algo: dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
            status: dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS,
            time: 0.0,
            memory: 0,
            determinism: dnn::cudnnDeterminism_t::CUDNN_NON_DETERMINISTIC,
            mathType: dnn::cudnnMathType_t::CUDNN_DEFAULT_MATH,
            reserved: [0; 3],
        };
        let mut results =
            [empty; dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_COUNT as usize];
        let mut returned = 0;
        // SAFETY: live handle and descriptors; `results` holds the
        // requested number of entries.
        check("cudnnGetConvolutionForwardAlgorithm_v7", unsafe {
            dnn::cudnnGetConvolutionForwardAlgorithm_v7(
                handle,
                descriptors.x.0,
                descriptors.w.0,
                descriptors.conv.0,
                descriptors.y.0,
                results.len() as i32,
                &mut returned,
                results.as_mut_ptr(),
            )
        })?;
        let returned = usize::try_from(returned).unwrap_or(0).min(results.len());
        let usable = || {
            results[..returned]
                .iter()
                .filter(|r| r.status == dnn::cudnnStatus_t::CUDNN_STATUS_SUCCESS)
        };
        let identity_only = spec.residual && !spec.relu;
        let precomp = usable().find(|r| {
            r.algo == dnn::cudnnConvolutionFwdAlgo_t::CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM
        });
        let (chosen, fused) = match (identity_only, precomp) {
            (true, Some(precomp)) => (Some(precomp), true),
            (true, None) => (usable().next(), false),
            (false, _) => (usable().next(), spec.is_fused()),
        };
        let chosen = chosen.ok_or_else(|| CudaError::Cudnn {
            function: "cudnnGetConvolutionForwardAlgorithm_v7",
            status: "no algorithm supports this convolution".to_string(),
        })?;
        // SAFETY: a live descriptor.
        check("cudnnSetConvolutionMathType", unsafe {
            dnn::cudnnSetConvolutionMathType(descriptors.conv.0, chosen.mathType)
        })?;
        let mut bytes = 0;
        // SAFETY: live handle and descriptors.
        check("cudnnGetConvolutionForwardWorkspaceSize", unsafe {
            dnn::cudnnGetConvolutionForwardWorkspaceSize(
                handle,
                descriptors.x.0,
                descriptors.w.0,
                descriptors.conv.0,
                descriptors.y.0,
                chosen.algo,
                &mut bytes,
            )
        })?;
        Ok(Plan {
            descriptors,
            algorithm: chosen.algo,
            workspace_bytes: bytes.max(chosen.memory),
            fused,
        })
    }

    /// Runs `y = relu?(conv(x, w) + (y if spec.accumulate) + z + bias)` on
    /// the handle's stream (asynchronously: the caller synchronizes), the
    /// ReLU, bias and z as the spec says.
    ///
    /// With a ReLU or residual this is one
    /// `cudnnConvolutionBiasActivationForward` (a zero bias stands in when
    /// the spec has none); when cuDNN does not support that for the spec,
    /// the plan falls back for good to separate calls: the convolution,
    /// `cudnnAddTensor` for z and for the bias, and an in-place
    /// `cudnnActivationForward`.
    ///
    /// # Safety
    ///
    /// The operands must be device addresses of at least
    /// [`ConvSpec::x_bytes`], [`ConvSpec::w_bytes`], [`ConvSpec::y_bytes`],
    /// [`ConvSpec::bias_bytes`] and (for z) [`ConvSpec::y_bytes`] bytes,
    /// aligned to the element size; y must not overlap x, w, bias or z.
    pub unsafe fn forward(
        &mut self,
        spec: &ConvSpec,
        operands: &ConvOperands,
    ) -> Result<(), CudaError> {
        let key = self.plan(spec)?;
        self.workspace
            .reserve(self.plans[&key].workspace_bytes, false)?;
        if spec.is_fused() && operands.bias.is_none() {
            let k_bytes = spec.w_dims[0] as usize * spec.element.size_bytes();
            self.zeros.reserve(k_bytes, true)?;
        }
        let plan = &self.plans[&key];
        if plan.fused {
            // SAFETY: the caller's; the buffers were reserved above.
            let status = unsafe { self.run_fused(plan, spec, operands) }?;
            if !fused_call_refused(status) {
                return check("cudnnConvolutionBiasActivationForward", status);
            }
            if let Some(plan) = self.plans.get_mut(&key) {
                plan.fused = false;
            }
        }
        // SAFETY: as above.
        unsafe { self.run_separately(&self.plans[&key], spec, operands) }
    }

    /// `y = relu?(conv + z + bias)` as one
    /// `cudnnConvolutionBiasActivationForward`; its status, for the caller
    /// to fall back on when cuDNN refuses the configuration.
    ///
    /// # Safety
    ///
    /// As [`Cudnn::forward`]; the workspace holds the plan's bytes and,
    /// without a bias, `zeros` K elements.
    unsafe fn run_fused(
        &self,
        plan: &Plan,
        spec: &ConvSpec,
        operands: &ConvOperands,
    ) -> Result<dnn::cudnnStatus_t, CudaError> {
        let ConvOperands { x, w, y, bias, z } = *operands;
        let d = &plan.descriptors;
        let (Some(bias_descriptor), Some(activation)) = (&d.bias, &d.activation) else {
            return Err(CudaError::BadSpec(
                "a fused plan without bias or activation descriptor".to_string(),
            ));
        };
        // z = y when accumulating (cuDNN allows z to alias y), none
        // otherwise (alpha2 = 0).
        let (alpha2, z) = match (z, spec.accumulate) {
            (Some(z), _) => (&ONE, z),
            (None, true) => (&ONE, y),
            (None, false) => (&ZERO, y),
        };
        // SAFETY: live handle and descriptors; the buffers are the
        // caller's responsibility.
        Ok(unsafe {
            dnn::cudnnConvolutionBiasActivationForward(
                self.handle,
                scale(&ONE),
                d.x.0,
                input(x),
                d.w.0,
                input(w),
                d.conv.0,
                plan.algorithm,
                self.workspace.pointer as *mut c_void,
                self.workspace.bytes,
                scale(alpha2),
                d.y.0,
                input(z),
                bias_descriptor.0,
                input(bias.unwrap_or(self.zeros.pointer)),
                activation.0,
                d.y.0,
                y as *mut c_void,
            )
        })
    }

    /// `y = conv (+ y if accumulating)`, then `cudnnAddTensor` for z and
    /// for the bias, then an in-place ReLU: what [`Cudnn::run_fused`]
    /// computes, in separate calls.
    ///
    /// # Safety
    ///
    /// As [`Cudnn::forward`]; the workspace holds the plan's bytes.
    unsafe fn run_separately(
        &self,
        plan: &Plan,
        spec: &ConvSpec,
        operands: &ConvOperands,
    ) -> Result<(), CudaError> {
        let ConvOperands { x, w, y, bias, z } = *operands;
        let d = &plan.descriptors;
        let beta = if spec.accumulate { &ONE } else { &ZERO };
        // SAFETY: live handle and descriptors; the buffers are the
        // caller's responsibility.
        check("cudnnConvolutionForward", unsafe {
            dnn::cudnnConvolutionForward(
                self.handle,
                scale(&ONE),
                d.x.0,
                input(x),
                d.w.0,
                input(w),
                d.conv.0,
                plan.algorithm,
                self.workspace.pointer as *mut c_void,
                self.workspace.bytes,
                scale(beta),
                d.y.0,
                y as *mut c_void,
            )
        })?;
        let addends = [(z, Some(&d.y)), (bias, d.bias.as_ref())];
        for (pointer, descriptor) in addends {
            if let (Some(pointer), Some(descriptor)) = (pointer, descriptor) {
                // SAFETY: as above; z has y's shape, the bias K elements.
                check("cudnnAddTensor", unsafe {
                    dnn::cudnnAddTensor(
                        self.handle,
                        scale(&ONE),
                        descriptor.0,
                        input(pointer),
                        scale(&ONE),
                        d.y.0,
                        y as *mut c_void,
                    )
                })?;
            }
        }
        if let (true, Some(activation)) = (spec.relu, &d.activation) {
            // SAFETY: as above; cuDNN activations may work in place.
            check("cudnnActivationForward", unsafe {
                dnn::cudnnActivationForward(
                    self.handle,
                    activation.0,
                    scale(&ONE),
                    d.y.0,
                    input(y),
                    scale(&ZERO),
                    d.y.0,
                    y as *mut c_void,
                )
            })?;
        }
        Ok(())
    }
}

/// cuDNN's scaling factors (f32 for f32 and f16 data alike).
const ZERO: f32 = 0.0;
const ONE: f32 = 1.0;

fn scale(factor: &f32) -> *const c_void {
    factor as *const f32 as *const c_void
}

fn input(pointer: u64) -> *const c_void {
    pointer as *const c_void
}

impl Drop for Cudnn {
    fn drop(&mut self) {
        self.plans.clear();
        let _ = self.workspace.free();
        let _ = self.zeros.free();
        // SAFETY: created by cudnnCreate, destroyed once.
        unsafe { dnn::cudnnDestroy(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::cuda::spec::tests::{grouped_3d, nhwc_3x3, nhwc_3x3_residual_relu};

    /// Whether cuDNN can be loaded; prints why not.
    fn cudnn_or_skip() -> bool {
        match load_cudnn() {
            Ok(()) => true,
            Err(error) => {
                eprintln!("skipped: {error}");
                false
            }
        }
    }

    #[test]
    fn nhwc_3x3_output_dims() {
        if !cudnn_or_skip() {
            return;
        }
        let descriptors = ConvDescriptors::new(&nhwc_3x3()).expect("valid NHWC convolution");
        assert_eq!(descriptors.output_dims().expect("dims"), vec![1, 8, 14, 14]);
        let mut no_bias = nhwc_3x3();
        no_bias.has_bias = false;
        no_bias.filter_format = super::super::spec::FilterFormat::Kcrs;
        assert!(ConvDescriptors::new(&no_bias).is_ok());
    }

    #[test]
    fn fused_epilogues_have_activation_descriptors() {
        if !cudnn_or_skip() {
            return;
        }
        let spec = nhwc_3x3_residual_relu();
        let descriptors = ConvDescriptors::new(&spec).expect("valid fused convolution");
        assert!(descriptors.activation.is_some() && descriptors.bias.is_some());
        assert_eq!(descriptors.output_dims().expect("dims"), vec![1, 8, 14, 14]);
        // A residual alone uses the identity activation; without a bias in
        // the spec the fused call still gets a bias descriptor (for zeros).
        let identity = ConvSpec {
            relu: false,
            has_bias: false,
            ..spec
        };
        let descriptors = ConvDescriptors::new(&identity).expect("valid fused convolution");
        assert!(descriptors.activation.is_some() && descriptors.bias.is_some());
        let plain = ConvDescriptors::new(&nhwc_3x3()).expect("valid");
        assert!(plain.activation.is_none());
    }

    #[test]
    fn refused_fused_calls_fall_back() {
        use dnn::cudnnStatus_t as S;
        assert!(fused_call_refused(S::CUDNN_STATUS_NOT_SUPPORTED));
        assert!(fused_call_refused(S::CUDNN_STATUS_BAD_PARAM));
        assert!(!fused_call_refused(S::CUDNN_STATUS_SUCCESS));
        assert!(!fused_call_refused(S::CUDNN_STATUS_EXECUTION_FAILED));
        assert!(!fused_call_refused(S::CUDNN_STATUS_INTERNAL_ERROR));
    }

    #[test]
    fn grouped_strided_3d_output_dims() {
        if !cudnn_or_skip() {
            return;
        }
        let descriptors = ConvDescriptors::new(&grouped_3d()).expect("valid 3-D convolution");
        assert_eq!(
            descriptors.output_dims().expect("dims"),
            vec![2, 6, 5, 4, 6]
        );
    }

    #[test]
    fn filter_bigger_than_input_is_a_cudnn_error() {
        if !cudnn_or_skip() {
            return;
        }
        let mut spec = nhwc_3x3();
        spec.w_dims = vec![8, 4, 18, 18];
        match ConvDescriptors::new(&spec) {
            Err(CudaError::Cudnn { function, status }) => {
                assert_eq!(function, "cudnnGetConvolutionNdForwardOutputDim");
                assert_eq!(status, "CUDNN_STATUS_BAD_PARAM");
            }
            Err(other) => panic!("expected a cuDNN error, got {other}"),
            Ok(_) => panic!("expected a cuDNN error"),
        }
    }

    #[test]
    fn wrong_output_dims_are_a_bad_spec() {
        if !cudnn_or_skip() {
            return;
        }
        let mut spec = nhwc_3x3();
        spec.y_dims = vec![1, 8, 15, 15];
        match ConvDescriptors::new(&spec) {
            Err(CudaError::BadSpec(message)) => {
                assert!(message.contains("[1, 8, 14, 14]"), "{message}")
            }
            Err(other) => panic!("expected a bad spec, got {other}"),
            Ok(_) => panic!("expected a bad spec"),
        }
        let mut spec = nhwc_3x3();
        spec.x_strides.pop();
        assert!(matches!(
            ConvDescriptors::new(&spec),
            Err(CudaError::BadSpec(_))
        ));
    }

    #[test]
    fn handle_without_gpu_is_an_error() {
        if !cudnn_or_skip() {
            return;
        }
        // SAFETY: only probes whether the driver library can be opened.
        if unsafe { cu::is_culib_present() } {
            eprintln!("skipped: a CUDA driver is present");
            return;
        }
        match Cudnn::new(null_mut()) {
            Err(CudaError::Cudnn { function, .. }) => assert_eq!(function, "cudnnCreate"),
            Err(other) => panic!("expected cudnnCreate to fail, got {other}"),
            Ok(_) => panic!("cudnnCreate succeeded without a driver"),
        }
    }

    #[test]
    fn bad_explicit_path_is_reported() {
        let error =
            load_from(Some(OsStr::new("/nonexistent/libcudnn.so.9"))).expect_err("no such file");
        let message = error.to_string();
        assert!(
            message.starts_with("libcudnn.so.9 not found; install cuDNN 9 or set CHLAST_CUDNN_LIB"),
            "{message}"
        );
        assert!(message.contains("/nonexistent/libcudnn.so.9"), "{message}");
    }
}
