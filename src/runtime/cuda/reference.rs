//! A CPU reference of `chlast_cudnn_conv`: what the cuDNN call computes,
//! on host memory, so that the CUDA lowering's convolution handling (specs,
//! folded padding, bias, accumulation, ReLU/residual epilogues, buffer
//! reuse) can be checked numerically on machines without a GPU.
//!
//! [`crate::runtime::cpu::Convs::CudnnReference`] lowers a program
//! with the CUDA pipeline's passes up to `chlast-convs-to-cudnn` and then
//! for the CPU, and binds the `chlast_cudnn_conv` symbol to
//! [`symbols`]'s entry point here (`chlast-run --target cpu-cudnn`).
//!
//! For every output element (n, k, spatial o) it computes, in f32:
//!
//! ```text
//! acc = sum over c < C/groups and filter positions f of
//!         x[n, g*C/groups + c, o*stride + f*dilation - pad] * w[k, c, f]
//!       (x outside its bounds is 0; g = k / (K/groups))
//! y[n, k, o] = relu?(acc + (old y if accumulate) + z[n, k, o] + bias[k])
//! ```
//!
//! and rounds to the element type (f16 inputs are read as f32).

use super::{
    CudaError,
    spec::{ConvOperands, ConvSpec, ElementType, decode_call},
};
use crate::runtime::tensor::{f16_to_f32, f32_to_f16};
use std::{
    ffi::c_void,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

/// The first error of a reference call since the last [`take_error`].
static FIRST_ERROR: Mutex<Option<CudaError>> = Mutex::new(None);
/// Reference calls made by this process.
static CALLS: AtomicUsize = AtomicUsize::new(0);

/// The first error a reference call recorded since the last call of this
/// function (the C entry point cannot return it).
pub fn take_error() -> Option<CudaError> {
    FIRST_ERROR.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Number of convolutions the reference has run in this process.
pub fn calls() -> usize {
    CALLS.load(Ordering::Relaxed)
}

/// The entry point to register as `chlast_cudnn_conv` in an
/// ExecutionEngine running the host code on the CPU.
pub fn symbols() -> Vec<(&'static str, *mut c_void)> {
    vec![("chlast_cudnn_conv", chlast_cudnn_conv_on_cpu as *mut c_void)]
}

/// Host memory of one operand: base address (the spec's offset applied)
/// and element type.
#[derive(Clone, Copy)]
struct Host {
    base: u64,
    element: ElementType,
}

impl Host {
    /// # Safety
    /// `index` must address an element of the caller's buffer.
    unsafe fn load(self, index: usize) -> f32 {
        // SAFETY: the caller's bounds; the pointer is aligned to the
        // element size (the compiled code passes aligned pointers).
        unsafe {
            match self.element {
                ElementType::F32 => *(self.base as *const f32).add(index),
                ElementType::F16 => f16_to_f32(*(self.base as *const u16).add(index)),
            }
        }
    }

    /// # Safety
    /// As [`Host::load`].
    unsafe fn store(self, index: usize, value: f32) {
        // SAFETY: as in `load`.
        unsafe {
            match self.element {
                ElementType::F32 => *(self.base as *mut f32).add(index) = value,
                ElementType::F16 => *(self.base as *mut u16).add(index) = f32_to_f16(value),
            }
        }
    }
}

/// Runs the convolution of `spec` on host memory.
///
/// # Safety
///
/// The operands must address host buffers of the spec's shapes and
/// strides (as for [`super::cudnn::Cudnn::forward`]), aligned to the
/// element size; y must not overlap x, w or the bias.
pub unsafe fn forward(spec: &ConvSpec, operands: &ConvOperands) -> Result<(), CudaError> {
    spec.validate()?;
    let ConvOperands { x, w, y, bias, z } = *operands;
    let element = spec.element;
    let host = |base: u64| Host { base, element };
    let (x, w, y) = (host(x), host(w), host(y));
    let (bias, z) = (bias.map(host), z.map(host));
    let rank = spec.rank;
    let as_usize = |values: &[i64]| values.iter().map(|&v| v as usize).collect::<Vec<_>>();
    let (x_dims, x_strides) = (as_usize(&spec.x_dims), as_usize(&spec.x_strides));
    let (y_dims, y_strides) = (as_usize(&spec.y_dims), as_usize(&spec.y_strides));
    let w_dims = as_usize(&spec.w_dims);
    let groups = spec.groups as usize;
    let (k_per_group, c_per_group) = (w_dims[0] / groups, w_dims[1]);
    let filter_spatial = &w_dims[2..];
    let filter_volume: usize = filter_spatial.iter().product();
    let (w_k, w_c, w_spatial) = spec.filter_strides();
    let (w_k, w_c, w_spatial) = (w_k as usize, w_c as usize, as_usize(&w_spatial));
    let out_volume: usize = y_dims[2..].iter().product();
    let mut out_pos = vec![0usize; rank];
    let mut filter_pos = vec![0usize; rank];
    for n in 0..y_dims[0] {
        for k in 0..y_dims[1] {
            let g = k / k_per_group;
            for flat in 0..out_volume {
                unflatten(flat, &y_dims[2..], &mut out_pos);
                let y_index = n * y_strides[0]
                    + k * y_strides[1]
                    + (0..rank)
                        .map(|d| out_pos[d] * y_strides[2 + d])
                        .sum::<usize>();
                let mut acc = 0.0f32;
                for f in 0..filter_volume {
                    unflatten(f, filter_spatial, &mut filter_pos);
                    // The input position of this tap, if inside x.
                    let mut x_offset = n * x_strides[0];
                    let mut inside = true;
                    for d in 0..rank {
                        let at = (out_pos[d] as i64) * spec.conv_strides[d]
                            + (filter_pos[d] as i64) * spec.dilations[d]
                            - spec.pads[d];
                        if at < 0 || at >= x_dims[2 + d] as i64 {
                            inside = false;
                            break;
                        }
                        x_offset += at as usize * x_strides[2 + d];
                    }
                    if !inside {
                        continue;
                    }
                    let w_offset = k * w_k
                        + (0..rank)
                            .map(|d| filter_pos[d] * w_spatial[d])
                            .sum::<usize>();
                    for c in 0..c_per_group {
                        let channel = g * c_per_group + c;
                        // SAFETY: indices within the spec's shapes.
                        acc += unsafe {
                            x.load(x_offset + channel * x_strides[1]) * w.load(w_offset + c * w_c)
                        };
                    }
                }
                // SAFETY: y_index is within y; z has y's strides; the bias
                // has K elements.
                unsafe {
                    if spec.accumulate {
                        acc += y.load(y_index);
                    }
                    if let Some(z) = z {
                        acc += z.load(y_index);
                    }
                    if let Some(bias) = bias {
                        acc += bias.load(k);
                    }
                    if spec.relu {
                        // NaN-propagating, as arith.maximumf.
                        acc = if acc.is_nan() { acc } else { acc.max(0.0) };
                    }
                    y.store(y_index, acc);
                }
            }
        }
    }
    Ok(())
}

/// Row-major position of `flat` in `dims`.
fn unflatten(mut flat: usize, dims: &[usize], position: &mut [usize]) {
    for d in (0..dims.len()).rev() {
        position[d] = flat % dims[d];
        flat /= dims[d];
    }
}

/// `chlast_cudnn_conv(spec, x, w, y, bias, z)` on the CPU: the same
/// arguments as the CUDA runtime's entry point (aligned pointers, the
/// spec's offsets added here, 0 for no bias or residual). Errors are
/// recorded for [`take_error`].
unsafe extern "C" fn chlast_cudnn_conv_on_cpu(
    spec: *const i64,
    x: u64,
    w: u64,
    y: u64,
    bias: u64,
    z: u64,
) {
    let run = || -> Result<(), CudaError> {
        // SAFETY: the compiled code passes the address of its constant spec.
        let (spec, operands) = unsafe { decode_call(spec, x, w, y, bias, z) }?;
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the compiled code passes buffers of the spec's shapes.
        unsafe { forward(&spec, &operands) }
    };
    let result = catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|_| {
        Err(CudaError::Panic {
            function: "chlast_cudnn_conv",
            message: "the CPU reference panicked".to_string(),
        })
    });
    if let Err(error) = result {
        let mut slot = FIRST_ERROR.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::cuda::spec::{
        SPEC_LEN,
        tests::{grouped_3d, nhwc_3x3},
    };

    /// A direct NCHW/KCRS convolution of logical (unstrided) tensors, the
    /// textbook formula, for comparison.
    #[allow(clippy::too_many_arguments)]
    fn direct_2d(
        x: &[f32],
        [n, c, h, wd]: [usize; 4],
        w: &[f32],
        [k, kh, kw]: [usize; 3],
        stride: usize,
        pad: usize,
        dilation: usize,
    ) -> (Vec<f32>, [usize; 4]) {
        let oh = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1;
        let ow = (wd + 2 * pad - dilation * (kw - 1) - 1) / stride + 1;
        let mut y = vec![0.0; n * k * oh * ow];
        for (b, kk, i, j) in positions4(n, k, oh, ow) {
            let mut acc = 0.0;
            for cc in 0..c {
                for r in 0..kh {
                    for s in 0..kw {
                        let hi = (i * stride + r * dilation) as i64 - pad as i64;
                        let wi = (j * stride + s * dilation) as i64 - pad as i64;
                        if hi < 0 || wi < 0 || hi >= h as i64 || wi >= wd as i64 {
                            continue;
                        }
                        acc += x[((b * c + cc) * h + hi as usize) * wd + wi as usize]
                            * w[((kk * c + cc) * kh + r) * kw + s];
                    }
                }
            }
            y[((b * k + kk) * oh + i) * ow + j] = acc;
        }
        (y, [n, k, oh, ow])
    }

    fn positions4(
        a: usize,
        b: usize,
        c: usize,
        d: usize,
    ) -> impl Iterator<Item = (usize, usize, usize, usize)> {
        (0..a).flat_map(move |i| {
            (0..b).flat_map(move |j| (0..c).flat_map(move |k| (0..d).map(move |l| (i, j, k, l))))
        })
    }

    fn values(count: usize, seed: u32) -> Vec<f32> {
        (0..count)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 17) as f32 / 8.0 - 1.0)
            .collect()
    }

    fn pointer(data: &[f32]) -> u64 {
        data.as_ptr() as u64
    }

    /// [`forward`] on base pointers (0: no bias or residual).
    ///
    /// # Safety
    /// As [`forward`], for the buffers behind the base pointers.
    unsafe fn run(
        spec: &ConvSpec,
        x: u64,
        w: u64,
        y: u64,
        bias: u64,
        z: u64,
    ) -> Result<(), CudaError> {
        let operands = ConvOperands::new(spec, x, w, y, bias, z)?;
        // SAFETY: the caller's.
        unsafe { forward(spec, &operands) }
    }

    #[test]
    fn nhwc_krsc_padded_strided_matches_the_direct_formula() {
        // 1x4x16x16 NHWC input, 8 3x3 KRSC filters, stride 2, pad 1, dilation 1.
        let mut spec = nhwc_3x3();
        spec.has_bias = false;
        spec.conv_strides = vec![2, 2];
        spec.pads = vec![1, 1];
        spec.y_dims = vec![1, 8, 8, 8];
        spec.y_strides = vec![8 * 8 * 8, 1, 8 * 8, 8];
        let x_nchw = values(4 * 16 * 16, 1);
        let w_kcrs = values(8 * 4 * 9, 2);
        let (expected, _) = direct_2d(&x_nchw, [1, 4, 16, 16], &w_kcrs, [8, 3, 3], 2, 1, 1);
        // NCHW -> NHWC and KCRS -> KRSC.
        let mut x = vec![0.0; x_nchw.len()];
        for (c, h, wd) in
            (0..4).flat_map(|c| (0..16).flat_map(move |h| (0..16).map(move |w| (c, h, w))))
        {
            x[(h * 16 + wd) * 4 + c] = x_nchw[(c * 16 + h) * 16 + wd];
        }
        let mut w = vec![0.0; w_kcrs.len()];
        for (k, c, r) in
            (0..8).flat_map(|k| (0..4).flat_map(move |c| (0..9).map(move |r| (k, c, r))))
        {
            w[(k * 9 + r) * 4 + c] = w_kcrs[(k * 4 + c) * 9 + r];
        }
        let mut y = vec![f32::NAN; 8 * 8 * 8];
        // SAFETY: buffers of the spec's shapes.
        unsafe { run(&spec, pointer(&x), pointer(&w), y.as_mut_ptr() as u64, 0, 0) }
            .expect("valid spec");
        for (k, i, j) in
            (0..8).flat_map(|k| (0..8).flat_map(move |i| (0..8).map(move |j| (k, i, j))))
        {
            let got = y[(i * 8 + j) * 8 + k];
            let want = expected[(k * 8 + i) * 8 + j];
            assert!(
                (got - want).abs() <= 1e-5,
                "({k}, {i}, {j}): {got} vs {want}"
            );
        }
    }

    #[test]
    fn epilogue_adds_residual_and_bias_then_relu() {
        let spec = ConvSpec {
            relu: true,
            residual: true,
            ..nhwc_3x3()
        };
        let x = values(16 * 16 * 4, 3);
        let w = values(8 * 9 * 4, 4);
        let bias = values(8, 5);
        let residual = values(14 * 14 * 8, 6);
        let plain = ConvSpec {
            has_bias: false,
            ..nhwc_3x3()
        };
        let mut conv = vec![0.0; 14 * 14 * 8];
        let mut fused = vec![f32::NAN; 14 * 14 * 8];
        // SAFETY: buffers of the specs' shapes.
        unsafe {
            run(
                &plain,
                pointer(&x),
                pointer(&w),
                conv.as_mut_ptr() as u64,
                0,
                0,
            )
            .expect("plain");
            run(
                &spec,
                pointer(&x),
                pointer(&w),
                fused.as_mut_ptr() as u64,
                pointer(&bias),
                pointer(&residual),
            )
            .expect("fused");
        }
        let mut negatives = 0;
        for (i, (&c, &f)) in conv.iter().zip(&fused).enumerate() {
            let pre = c + residual[i] + bias[i % 8];
            negatives += usize::from(pre < 0.0);
            assert!((f - pre.max(0.0)).abs() <= 1e-6, "{i}: {f} vs relu({pre})");
        }
        assert!(negatives > 100, "the ReLU was not exercised");
    }

    #[test]
    fn grouped_3d_f16_with_offsets_accumulates() {
        // Groups, stride 2, dilation (1, 2, 1), padding, f16, offsets, beta = 1:
        // compare with two half-convolutions done group by group in f32.
        let spec = grouped_3d();
        let x_len = spec.x_bytes() / 2 + spec.x_offset as usize;
        let y_len = spec.y_bytes() / 2 + spec.y_offset as usize;
        let to_f16 = |v: &[f32]| v.iter().map(|&f| f32_to_f16(f)).collect::<Vec<u16>>();
        let x = to_f16(&values(x_len, 7));
        let w = to_f16(&values(spec.w_bytes() / 2, 8));
        let y0 = to_f16(&values(y_len, 9));
        let mut y = y0.clone();
        // SAFETY: buffers of the spec's shapes after its offsets.
        unsafe {
            run(
                &spec,
                x.as_ptr() as u64,
                w.as_ptr() as u64,
                y.as_mut_ptr() as u64,
                0,
                0,
            )
        }
        .expect("valid spec");
        // Spot-check one output element per group against a direct sum.
        for (k, od, oh, ow) in [(1usize, 2usize, 1usize, 3usize), (4, 0, 3, 5)] {
            let g = k / 3;
            let mut acc = 0.0f32;
            for c in 0..2 {
                for (fd, fh, fw) in
                    (0..3).flat_map(|a| (0..3).flat_map(move |b| (0..3).map(move |c| (a, b, c))))
                {
                    let d = (od * 2 + fd) as i64 - 1;
                    let h = (oh * 2 + fh * 2) as i64;
                    let wi = (ow * 2 + fw) as i64 - 2;
                    if !(0..9).contains(&d) || h >= 11 || !(0..10).contains(&wi) {
                        continue;
                    }
                    let xi = spec.x_offset as usize
                        + (g * 2 + c) * 990
                        + d as usize * 110
                        + h as usize * 10
                        + wi as usize;
                    let wi_ = (((k * 2 + c) * 3 + fd) * 3 + fh) * 3 + fw;
                    acc += f16_to_f32(x[xi]) * f16_to_f32(w[wi_]);
                }
            }
            let yi = spec.y_offset as usize + k * 120 + od * 24 + oh * 6 + ow;
            let want = acc + f16_to_f32(y0[yi]);
            let got = f16_to_f32(y[yi]);
            assert!(
                (got - want).abs() <= 1e-2 * want.abs().max(1.0),
                "k {k}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn entry_point_records_bad_specs() {
        let _ = take_error();
        let words = vec![0i64; SPEC_LEN];
        let data = [0.0f32; 4];
        // SAFETY: the spec is rejected before any tensor is read.
        unsafe {
            chlast_cudnn_conv_on_cpu(
                words.as_ptr(),
                pointer(&data),
                pointer(&data),
                pointer(&data),
                0,
                0,
            )
        };
        match take_error() {
            Some(CudaError::BadSpec(message)) => {
                assert!(message.contains("version 0"), "{message}")
            }
            other => panic!("expected a bad spec, got {other:?}"),
        }
        assert_eq!(take_error(), None);
    }
}
