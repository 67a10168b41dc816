//! Tests of cuDNN loading, descriptors and plans (those that need the
//! library skip with a reason without it).

use super::{library::load_from, *};
use crate::runtime::cuda::spec::tests::{grouped_3d, nhwc_3x3, nhwc_3x3_residual_relu};
use std::ffi::OsStr;

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
