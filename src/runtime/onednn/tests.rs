//! oneDNN convolutions against the CPU reference of the same call, for
//! every conv family, layout and post-op the compiler emits.

use super::*;
use crate::runtime::cuda::spec::{
    FilterFormat,
    tests::{grouped_3d, nhwc_3x3},
};

fn values(count: usize, seed: u32) -> Vec<f32> {
    (0..count)
        .map(|i| {
            let h = (i as u32 ^ seed.wrapping_mul(0x9e37_79b9)).wrapping_mul(2_654_435_761);
            ((h >> 7) % 1001) as f32 / 500.0 - 1.0
        })
        .collect()
}

/// Runs `spec` on oneDNN and on the reference over the same random
/// buffers (y starting from the same random contents, so accumulation and
/// the elements outside y's strided view are checked too) and compares
/// every element of y's buffer. Returns oneDNN's route.
fn matches_reference(spec: &ConvSpec) -> Route {
    let x_len = spec.x_bytes() / 4 + spec.x_offset as usize;
    let y_len = spec.y_bytes() / 4 + spec.y_offset as usize;
    let x = values(x_len, 1);
    let w = values(spec.w_bytes() / 4 + spec.w_offset as usize, 2);
    let bias = values(spec.y_dims[1] as usize, 3);
    let z = values(y_len, 4);
    let y0 = values(y_len, 5);
    let run = |on_onednn: bool| -> (Vec<f32>, Route) {
        let mut y = y0.clone();
        let address = |v: &[f32]| v.as_ptr() as u64;
        let operands = ConvOperands::new(
            spec,
            address(&x),
            address(&w),
            y.as_mut_ptr() as u64,
            if spec.has_bias { address(&bias) } else { 0 },
            if spec.residual { address(&z) } else { 0 },
        )
        .expect("valid operands");
        // SAFETY: buffers of the spec's sizes after its offsets.
        let route = if on_onednn {
            unsafe { forward(spec, &operands) }.expect("oneDNN runs the spec")
        } else {
            unsafe { reference::forward(spec, &operands) }.expect("the reference runs it");
            Route::Reference
        };
        (y, route)
    };
    let (want, _) = run(false);
    let (got, route) = run(true);
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * scale,
            "element {i}: oneDNN {g}, reference {w} ({route:?})"
        );
    }
    route
}

fn direct(route: &Route) -> bool {
    matches!(route, Route::OneDnn { reordered: false, implementation } if is_direct(implementation))
}

fn nchw(dims: &[i64]) -> Vec<i64> {
    (0..dims.len())
        .map(|d| dims[d + 1..].iter().product())
        .collect()
}

fn nhwc(dims: &[i64]) -> Vec<i64> {
    let mut order: Vec<usize> = vec![0];
    order.extend(2..dims.len());
    order.push(1);
    let mut strides = vec![0; dims.len()];
    let mut stride = 1;
    for &d in order.iter().rev() {
        strides[d] = stride;
        stride *= dims[d];
    }
    strides
}

#[test]
fn library_is_onednn_2() {
    available().expect("oneDNN is installed (scripts/deps.sh)");
    let version = api::loaded_version().expect("loaded");
    assert!(version.starts_with("2."), "{version}");
}

#[test]
fn channels_last_runs_a_direct_kernel_in_place() {
    let route = matches_reference(&nhwc_3x3());
    assert!(direct(&route), "{route:?}");
}

#[test]
fn channels_first_is_reordered_into_the_primitives_layout() {
    let mut spec = nhwc_3x3();
    spec.filter_format = FilterFormat::Kcrs;
    spec.x_strides = nchw(&spec.x_dims);
    spec.y_strides = nchw(&spec.y_dims);
    spec.x_dims = vec![2, 16, 16, 16];
    spec.x_strides = nchw(&spec.x_dims);
    spec.w_dims = vec![16, 16, 3, 3];
    spec.y_dims = vec![2, 16, 14, 14];
    spec.y_strides = nchw(&spec.y_dims);
    let route = matches_reference(&spec);
    match route {
        Route::OneDnn { reordered, .. } => assert!(reordered, "NCHW ran as is"),
        Route::Reference => panic!("f32 NCHW went to the reference"),
    }
}

#[test]
fn padding_strides_dilations_and_uneven_right_padding() {
    for (stride, dilation, pad, size) in [(2, 1, 1, 15), (2, 2, 2, 16), (3, 1, 0, 17), (1, 3, 3, 9)]
    {
        let mut spec = nhwc_3x3();
        spec.x_dims = vec![1, 8, size, size + 1];
        spec.x_strides = nhwc(&spec.x_dims);
        spec.w_dims = vec![8, 8, 3, 3];
        let out = |n: i64| (n + 2 * pad - dilation * 2 - 1) / stride + 1;
        spec.y_dims = vec![1, 8, out(size), out(size + 1)];
        spec.y_strides = nhwc(&spec.y_dims);
        spec.conv_strides = vec![stride, stride];
        spec.dilations = vec![dilation, dilation];
        spec.pads = vec![pad, pad];
        matches_reference(&spec);
    }
}

#[test]
fn bias_residual_relu_and_accumulate() {
    let base = ConvSpec {
        x_dims: vec![1, 8, 12, 12],
        x_strides: nhwc(&[1, 8, 12, 12]),
        w_dims: vec![16, 8, 3, 3],
        y_dims: vec![1, 16, 10, 10],
        y_strides: nhwc(&[1, 16, 10, 10]),
        ..nhwc_3x3()
    };
    for (bias, relu, residual, accumulate) in [
        (true, true, true, false),
        (false, true, false, false),
        (true, false, false, true),
        (false, true, false, true),
        (true, false, true, false),
    ] {
        let spec = ConvSpec {
            has_bias: bias,
            relu,
            residual,
            accumulate,
            ..base.clone()
        };
        let route = matches_reference(&spec);
        assert!(direct(&route), "{route:?}");
        // The same through the reordered path.
        let first = ConvSpec {
            filter_format: FilterFormat::Kcrs,
            x_strides: nchw(&spec.x_dims),
            y_strides: nchw(&spec.y_dims),
            ..spec
        };
        matches_reference(&first);
    }
}

#[test]
fn grouped_and_depthwise_3d() {
    let spec = ConvSpec {
        element: ElementType::F32,
        ..grouped_3d()
    };
    matches_reference(&spec);
    let channels_last = ConvSpec {
        filter_format: FilterFormat::Krsc,
        x_strides: nhwc(&spec.x_dims),
        y_strides: nhwc(&spec.y_dims),
        ..spec
    };
    matches_reference(&channels_last);
    let dims = vec![1, 16, 4, 8, 8];
    let depthwise = ConvSpec {
        rank: 3,
        groups: 16,
        has_bias: true,
        accumulate: false,
        x_dims: dims.clone(),
        x_strides: nhwc(&dims),
        w_dims: vec![16, 1, 3, 3, 3],
        y_dims: dims.clone(),
        y_strides: nhwc(&dims),
        conv_strides: vec![1, 1, 1],
        dilations: vec![1, 1, 1],
        pads: vec![1, 1, 1],
        x_offset: 0,
        y_offset: 0,
        ..channels_last
    };
    matches_reference(&depthwise);
}

#[test]
fn a_slice_of_a_larger_buffer_keeps_the_rest() {
    // y is channels 8..16 of a 24-channel NHWC buffer (a conv writing into
    // a concat): the other channels must be left as they were.
    let mut spec = nhwc_3x3();
    spec.y_strides = vec![14 * 14 * 24, 1, 14 * 24, 24];
    spec.y_offset = 8;
    matches_reference(&spec);
    spec.residual = true;
    spec.relu = true;
    matches_reference(&spec);
}

#[test]
fn f16_goes_to_the_reference() {
    let spec = grouped_3d();
    let len = |bytes: usize, offset: i64| bytes / 2 + offset as usize;
    let x = vec![0u16; len(spec.x_bytes(), spec.x_offset)];
    let w = vec![0u16; len(spec.w_bytes(), 0)];
    let mut y = vec![0u16; len(spec.y_bytes(), spec.y_offset)];
    let operands = ConvOperands::new(
        &spec,
        x.as_ptr() as u64,
        w.as_ptr() as u64,
        y.as_mut_ptr() as u64,
        0,
        0,
    )
    .expect("operands");
    // SAFETY: buffers of the spec's sizes.
    let route = unsafe { forward(&spec, &operands) }.expect("runs");
    assert_eq!(route, Route::Reference);
}

/// Runs `spec` (with a bias) on seeded x, w and bias, then again at the
/// same addresses after negating w in place: the two outputs and the bias.
fn run_then_negate_filter(spec: &ConvSpec, seed: u32) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = values(spec.x_bytes() / 4, seed);
    let mut w = values(spec.w_bytes() / 4, seed + 1);
    let bias = values(8, seed + 2);
    let mut y = vec![0.0f32; spec.y_bytes() / 4];
    let mut run = |w: &[f32]| {
        let operands = ConvOperands::new(
            spec,
            x.as_ptr() as u64,
            w.as_ptr() as u64,
            y.as_mut_ptr() as u64,
            bias.as_ptr() as u64,
            0,
        )
        .expect("operands");
        // SAFETY: buffers of the spec's sizes.
        unsafe { forward(spec, &operands) }.expect("runs");
        y.clone()
    };
    let first = run(&w);
    for v in w.iter_mut() {
        *v = -*v;
    }
    let second = run(&w);
    (first, second, bias)
}

#[test]
fn a_changed_filter_is_reordered_again() {
    let (first, second, bias) = run_then_negate_filter(&nhwc_3x3(), 7);
    // conv(x, -w) + b = -(conv(x, w) + b) + 2b.
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        let want = -a + 2.0 * bias[i % 8];
        assert!((b - want).abs() <= 1e-4, "element {i}: {b} vs {want}");
    }
}

#[test]
fn a_constant_filter_is_not_checked_again() {
    // The spec says the filter is a constant of the program: the reordered
    // copy made at the first call is reused without reading w again (so
    // changed bytes at the same address are, by contract, not seen).
    let spec = ConvSpec {
        constant_filter: true,
        ..nhwc_3x3()
    };
    let (first, second, _) = run_then_negate_filter(&spec, 17);
    assert_eq!(second, first);
}

#[test]
fn bad_specs_are_recorded_not_panicked() {
    let _ = take_error();
    let words = vec![0i64; crate::runtime::cuda::spec::SPEC_LEN];
    let data = [0.0f32; 4];
    let p = data.as_ptr() as u64;
    // SAFETY: the spec is rejected before any tensor is read.
    unsafe { conv_call(words.as_ptr(), p, p, p, 0, 0) };
    let error = take_error().expect("an error was recorded");
    assert!(error.contains("version 0"), "{error}");
    assert_eq!(take_error(), None);
}

#[test]
fn descriptor_sizes_match_the_library() {
    // dnnl_memory_desc_get_size of a plain 2x3 f32 tensor is 24 bytes: the
    // library reads our MemoryDesc as its own struct.
    let api = api::api().expect("oneDNN");
    let desc = strided(api, &[2, 3], &[3, 1]).expect("descriptor");
    // SAFETY: an initialized descriptor.
    assert_eq!(unsafe { (api.memory_desc_get_size)(&desc) }, 24);
    let padded = strided(api, &[2, 3], &[8, 1]).expect("descriptor");
    // SAFETY: as above. (oneDNN sizes a strided tensor as its outermost
    // dim times its stride.)
    assert_eq!(unsafe { (api.memory_desc_get_size)(&padded) }, 2 * 8 * 4);
}
