//! Tests of the spec decoder and encoder.

use super::*;

/// 1x4x16x16 NHWC input, 8 3x3 KRSC filters, stride 1: 1x8x14x14 NHWC.
pub(crate) fn nhwc_3x3() -> ConvSpec {
    ConvSpec {
        element: ElementType::F32,
        rank: 2,
        groups: 1,
        has_bias: true,
        accumulate: false,
        relu: false,
        residual: false,
        constant_filter: false,
        filter_format: FilterFormat::Krsc,
        x_dims: vec![1, 4, 16, 16],
        x_strides: vec![16 * 16 * 4, 1, 16 * 4, 4],
        w_dims: vec![8, 4, 3, 3],
        y_dims: vec![1, 8, 14, 14],
        y_strides: vec![14 * 14 * 8, 1, 14 * 8, 8],
        conv_strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![0, 0],
        x_offset: 0,
        w_offset: 0,
        y_offset: 0,
    }
}

/// 3-D, 2 groups, stride 2, dilation (1, 2, 1), NCDHW f16 with offsets:
/// 2x4x9x11x10 padded by (1, 0, 2) -> 2x6x5x4x6.
pub(crate) fn grouped_3d() -> ConvSpec {
    ConvSpec {
        element: ElementType::F16,
        rank: 3,
        groups: 2,
        has_bias: false,
        accumulate: true,
        relu: false,
        residual: false,
        constant_filter: false,
        filter_format: FilterFormat::Kcrs,
        x_dims: vec![2, 4, 9, 11, 10],
        x_strides: vec![4 * 9 * 11 * 10, 9 * 11 * 10, 11 * 10, 10, 1],
        w_dims: vec![6, 2, 3, 3, 3],
        y_dims: vec![2, 6, 5, 4, 6],
        y_strides: vec![6 * 120, 120, 24, 6, 1],
        conv_strides: vec![2, 2, 2],
        dilations: vec![1, 2, 1],
        pads: vec![1, 0, 2],
        x_offset: 7,
        w_offset: 0,
        y_offset: 128,
    }
}

/// [`nhwc_3x3`] with its ReLU and a residual folded in.
pub(crate) fn nhwc_3x3_residual_relu() -> ConvSpec {
    ConvSpec {
        relu: true,
        residual: true,
        ..nhwc_3x3()
    }
}

#[test]
fn round_trip() {
    let constant = ConvSpec {
        constant_filter: true,
        ..nhwc_3x3()
    };
    assert_eq!(constant.encode()[4], FLAG_BIAS | FLAG_CONSTANT_FILTER);
    for spec in [nhwc_3x3(), grouped_3d(), nhwc_3x3_residual_relu(), constant] {
        let words = spec.encode();
        assert_eq!(words.len(), SPEC_LEN);
        assert_eq!(ConvSpec::decode(&words).expect("valid spec"), spec);
        assert_eq!(ConvSpec::decode(&words).expect("valid").encode(), words);
    }
    let words = nhwc_3x3().encode();
    assert_eq!(&words[..6], &[1, 0, 2, 1, FLAG_BIAS, 1]);
    assert_eq!(&words[6..11], &[1, 4, 16, 16, 0]);
    assert_eq!(&words[31..37], &[1, 1, 0, 1, 1, 0]);
    let words = grouped_3d().encode();
    assert_eq!(words[4], FLAG_ACCUMULATE);
    assert_eq!(&words[37..], &[7, 0, 128, 1, 0, 2]);
    let words = nhwc_3x3_residual_relu().encode();
    assert_eq!(words[4], FLAG_BIAS | FLAG_RELU | FLAG_RESIDUAL);
    assert!(nhwc_3x3_residual_relu().is_fused());
    assert!(!nhwc_3x3().is_fused());
}

#[test]
fn helpers() {
    let spec = nhwc_3x3();
    assert!(spec.is_channels_last());
    assert!(!grouped_3d().is_channels_last());
    assert_eq!(spec.x_bytes(), 1024 * 4);
    assert_eq!(spec.w_bytes(), 8 * 4 * 9 * 4);
    assert_eq!(spec.y_bytes(), 8 * 14 * 14 * 4);
    assert_eq!(spec.bias_bytes(), 8 * 4);
    let spec = grouped_3d();
    assert_eq!(spec.y_bytes(), 2 * 6 * 120 * 2);
    assert_eq!(spec.bias_bytes(), 0);
    let mut moved = spec.clone();
    moved.x_offset = 0;
    moved.y_offset = 3;
    assert_eq!(moved.plan_key(), spec.plan_key());
}

#[test]
fn operands_apply_offsets_and_match_the_flags() {
    let spec = grouped_3d(); // f16, x offset 7, y offset 128, no bias
    let operands = ConvOperands::new(&spec, 1000, 2000, 3000, 0, 0).expect("valid");
    assert_eq!(
        operands,
        ConvOperands {
            x: 1014,
            w: 2000,
            y: 3256,
            bias: None,
            z: None
        }
    );
    let fused = ConvSpec {
        accumulate: false,
        residual: true,
        ..spec.clone()
    };
    let operands = ConvOperands::new(&fused, 1000, 2000, 3000, 0, 5000).expect("valid");
    assert_eq!(operands.z, Some(5256));
    let message = |result: Result<ConvOperands, CudaError>| match result {
        Err(CudaError::BadArgument { message, .. }) => message,
        other => panic!("expected a bad argument, got {other:?}"),
    };
    assert!(message(ConvOperands::new(&spec, 1, 2, 3, 4, 0)).contains("says no bias"));
    assert!(message(ConvOperands::new(&fused, 1, 2, 3, 0, 0)).contains("and a residual"));
    assert!(message(ConvOperands::new(&spec, 0, 2, 3, 0, 0)).contains("null tensor"));
    assert!(message(ConvOperands::new(&spec, u64::MAX, 2, 3, 0, 0)).contains("overflows"));
}

fn decode_error(edit: impl FnOnce(&mut Vec<i64>)) -> String {
    let mut words = nhwc_3x3().encode();
    edit(&mut words);
    match ConvSpec::decode(&words) {
        Err(CudaError::BadSpec(message)) => message,
        other => panic!("expected a bad spec, got {other:?}"),
    }
}

#[test]
fn validation() {
    assert!(decode_error(|w| w.truncate(40)).contains("40 values"));
    assert!(decode_error(|w| w.push(0)).contains("44 values"));
    assert!(decode_error(|w| w[40] = -1).contains("pads"));
    assert!(decode_error(|w| w[0] = 2).contains("version 2"));
    assert!(decode_error(|w| w[1] = 5).contains("element type 5"));
    assert!(decode_error(|w| w[2] = 1).contains("spatial rank 1"));
    assert!(decode_error(|w| w[2] = 4).contains("spatial rank 4"));
    assert!(decode_error(|w| w[4] = 32).contains("unknown flags"));
    assert!(
        decode_error(|w| w[4] = FLAG_ACCUMULATE | FLAG_RESIDUAL)
            .contains("accumulate and residual")
    );
    assert!(decode_error(|w| w[5] = 2).contains("filter format 2"));
    assert!(decode_error(|w| w[10] = 3).contains("entry 10"));
    assert!(decode_error(|w| w[33] = 1).contains("entry 33"));
    assert!(decode_error(|w| w[8] = 0).contains("x dims"));
    assert!(decode_error(|w| w[12] = -1).contains("x strides"));
    assert!(decode_error(|w| w[19] = 1 << 40).contains("w dims"));
    assert!(decode_error(|w| w[31] = 0).contains("convolution strides"));
    assert!(decode_error(|w| w[34] = 0).contains("dilations"));
    assert!(decode_error(|w| w[37] = -4).contains("negative x offset"));
    assert!(decode_error(|w| w[3] = 0).contains("0 groups"));
    assert!(decode_error(|w| w[3] = 3).contains("do not divide"));
    // 2 groups divide C = 4 and K = 8, but the filter has 4 channels.
    assert!(decode_error(|w| w[3] = 2).contains("C/groups = 2"));
    assert!(decode_error(|w| w[21] = 2).contains("batch sizes differ"));
    assert!(decode_error(|w| w[22] = 6).contains("K = 8"));
    let mut spec = nhwc_3x3();
    spec.dilations.pop();
    assert!(matches!(spec.validate(), Err(CudaError::BadSpec(m)) if m.contains("dilations")));
    let message = CudaError::BadSpec("x".into()).to_string();
    assert_eq!(message, "bad cuDNN convolution spec: x");
}
