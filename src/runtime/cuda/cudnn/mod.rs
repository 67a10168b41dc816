//! cuDNN convolutions through cudarc's raw bindings (the legacy descriptor
//! API of cuDNN 9): loading the library, building descriptors from a
//! [`ConvSpec`], choosing an algorithm, and running the convolution.
//!
//! Building descriptors needs `libcudnn.so.9` but no GPU; creating a
//! [`Cudnn`] handle needs a GPU and a current CUDA context (without one,
//! `cudnnCreate` fails with `CUDNN_STATUS_NOT_INITIALIZED`).
//!
//! Files: [`library`] (loading cuDNN), [`descriptors`] (descriptors from a
//! spec), this file (plans, algorithm choice, the forward call).

mod descriptors;
mod library;
#[cfg(test)]
mod tests;

pub use descriptors::ConvDescriptors;
pub use library::load_cudnn;

use super::{
    CudaError, driver,
    spec::{ConvOperands, ConvSpec},
};
use cudarc::cudnn::sys as dnn;
use cudarc::driver::sys as cu;
use std::{
    collections::{HashMap, hash_map::Entry},
    ffi::c_void,
    ptr::null_mut,
};

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
