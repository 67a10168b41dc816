//! cuDNN descriptors (tensor, filter, convolution, activation) built from a
//! [`ConvSpec`]; needs the library, not a GPU.

use super::{check, library::load_cudnn};
use crate::runtime::cuda::{
    CudaError,
    spec::{ConvSpec, ElementType},
};
use cudarc::cudnn::sys as dnn;
use std::ptr::null_mut;

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
pub(super) struct TensorDescriptor(pub(super) dnn::cudnnTensorDescriptor_t);

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
pub(super) struct FilterDescriptor(pub(super) dnn::cudnnFilterDescriptor_t);

impl Drop for FilterDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateFilterDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyFilterDescriptor(self.0) };
    }
}

/// An owned `cudnnConvolutionDescriptor_t`.
pub(super) struct ConvolutionDescriptor(pub(super) dnn::cudnnConvolutionDescriptor_t);

impl Drop for ConvolutionDescriptor {
    fn drop(&mut self) {
        // SAFETY: created by cudnnCreateConvolutionDescriptor, destroyed once.
        unsafe { dnn::cudnnDestroyConvolutionDescriptor(self.0) };
    }
}

/// An owned `cudnnActivationDescriptor_t`.
pub(super) struct ActivationDescriptor(pub(super) dnn::cudnnActivationDescriptor_t);

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
    pub(super) x: TensorDescriptor,
    pub(super) w: FilterDescriptor,
    pub(super) conv: ConvolutionDescriptor,
    pub(super) y: TensorDescriptor,
    pub(super) bias: Option<TensorDescriptor>,
    pub(super) activation: Option<ActivationDescriptor>,
    pub(super) dims: usize,
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
            crate::runtime::cuda::spec::FilterFormat::Kcrs => {
                dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW
            }
            crate::runtime::cuda::spec::FilterFormat::Krsc => {
                dnn::cudnnTensorFormat_t::CUDNN_TENSOR_NHWC
            }
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
