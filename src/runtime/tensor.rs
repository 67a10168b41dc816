//! Host tensors: a shape, an element type and the elements in row-major
//! (C) order, plus conversions between the 16-bit float formats and `f32`.

use std::fmt;

/// The element types `chlast-run` can pass to and from compiled programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    /// IEEE-754 binary32.
    F32,
    /// IEEE-754 binary16.
    F16,
    /// bfloat16 (the upper half of a binary32).
    BF16,
    /// Signless 32-bit integer (read and written as signed).
    I32,
    /// Signless 64-bit integer (read and written as signed).
    I64,
}

impl ElementType {
    /// All supported element types.
    pub const ALL: [ElementType; 5] = [
        ElementType::F32,
        ElementType::F16,
        ElementType::BF16,
        ElementType::I32,
        ElementType::I64,
    ];

    /// The MLIR spelling (`f32`, `bf16`, `i64`, ...).
    pub fn mlir_name(self) -> &'static str {
        match self {
            ElementType::F32 => "f32",
            ElementType::F16 => "f16",
            ElementType::BF16 => "bf16",
            ElementType::I32 => "i32",
            ElementType::I64 => "i64",
        }
    }

    /// Parses an MLIR element type spelling.
    pub fn from_mlir_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.mlir_name() == name)
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            ElementType::F16 | ElementType::BF16 => 2,
            ElementType::F32 | ElementType::I32 => 4,
            ElementType::I64 => 8,
        }
    }

    /// Whether the type is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            ElementType::F32 | ElementType::F16 | ElementType::BF16
        )
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mlir_name())
    }
}

/// The type of a tensor: static shape and element type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TensorSpec {
    /// Dimension sizes, outermost first.
    pub shape: Vec<usize>,
    /// Element type.
    pub element: ElementType,
}

impl TensorSpec {
    /// Number of elements (1 for rank 0).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for TensorSpec {
    /// Prints the MLIR type, e.g. `tensor<1x4x16x16xf32>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tensor<")?;
        for dim in &self.shape {
            write!(f, "{dim}x")?;
        }
        write!(f, "{}>", self.element)
    }
}

/// Element storage of a [`Tensor`]; 16-bit floats are kept as raw bits.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f16` elements as IEEE binary16 bit patterns.
    F16(Vec<u16>),
    /// `bf16` elements as bit patterns.
    BF16(Vec<u16>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `i64` elements.
    I64(Vec<i64>),
}

impl TensorData {
    /// `len` zero elements of type `element`.
    pub fn zeros(element: ElementType, len: usize) -> Self {
        match element {
            ElementType::F32 => TensorData::F32(vec![0.0; len]),
            ElementType::F16 => TensorData::F16(vec![0; len]),
            ElementType::BF16 => TensorData::BF16(vec![0; len]),
            ElementType::I32 => TensorData::I32(vec![0; len]),
            ElementType::I64 => TensorData::I64(vec![0; len]),
        }
    }

    /// The element type.
    pub fn element_type(&self) -> ElementType {
        match self {
            TensorData::F32(_) => ElementType::F32,
            TensorData::F16(_) => ElementType::F16,
            TensorData::BF16(_) => ElementType::BF16,
            TensorData::I32(_) => ElementType::I32,
            TensorData::I64(_) => ElementType::I64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::F16(v) | TensorData::BF16(v) => v.len(),
            TensorData::I32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `index` widened to `f64` (16-bit floats decoded).
    pub fn get_f64(&self, index: usize) -> f64 {
        match self {
            TensorData::F32(v) => f64::from(v[index]),
            TensorData::F16(v) => f64::from(f16_to_f32(v[index])),
            TensorData::BF16(v) => f64::from(bf16_to_f32(v[index])),
            TensorData::I32(v) => f64::from(v[index]),
            TensorData::I64(v) => v[index] as f64,
        }
    }

    /// The elements as little-endian bytes (the in-memory layout on the
    /// little-endian hosts MLIR's JIT targets here).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            TensorData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F16(v) | TensorData::BF16(v) => {
                v.iter().flat_map(|x| x.to_le_bytes()).collect()
            }
            TensorData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Decodes little-endian bytes; `None` if the length is not a multiple
    /// of the element size.
    pub fn from_le_bytes(element: ElementType, bytes: &[u8]) -> Option<Self> {
        let size = element.size_bytes();
        if !bytes.len().is_multiple_of(size) {
            return None;
        }
        let chunks = bytes.chunks_exact(size);
        Some(match element {
            ElementType::F32 => TensorData::F32(
                chunks
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
            ElementType::F16 => TensorData::F16(
                chunks
                    .map(|c| u16::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
            ElementType::BF16 => TensorData::BF16(
                chunks
                    .map(|c| u16::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
            ElementType::I32 => TensorData::I32(
                chunks
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
            ElementType::I64 => TensorData::I64(
                chunks
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
        })
    }

    /// Pointer to the first element, for memref descriptors.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        match self {
            TensorData::F32(v) => v.as_ptr() as *const u8,
            TensorData::F16(v) | TensorData::BF16(v) => v.as_ptr() as *const u8,
            TensorData::I32(v) => v.as_ptr() as *const u8,
            TensorData::I64(v) => v.as_ptr() as *const u8,
        }
    }

    /// Mutable pointer to the first element, for memref descriptors.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        match self {
            TensorData::F32(v) => v.as_mut_ptr() as *mut u8,
            TensorData::F16(v) | TensorData::BF16(v) => v.as_mut_ptr() as *mut u8,
            TensorData::I32(v) => v.as_mut_ptr() as *mut u8,
            TensorData::I64(v) => v.as_mut_ptr() as *mut u8,
        }
    }
}

/// A host tensor in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Dimension sizes, outermost first.
    pub shape: Vec<usize>,
    /// The elements; `data.len()` is the product of `shape`.
    pub data: TensorData,
}

impl Tensor {
    /// A tensor of zeros of type `spec`.
    pub fn zeros(spec: &TensorSpec) -> Self {
        Tensor {
            shape: spec.shape.clone(),
            data: TensorData::zeros(spec.element, spec.len()),
        }
    }

    /// The tensor's type.
    pub fn spec(&self) -> TensorSpec {
        TensorSpec {
            shape: self.shape.clone(),
            element: self.data.element_type(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Decodes an IEEE binary16 bit pattern (exactly).
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let magnitude = match (exponent, mantissa) {
        (0, 0) => 0,
        // Subnormal: mantissa * 2^-24, exact in f32.
        (0, m) => (m as f32 * f32::from_bits(0x3380_0000)).to_bits(),
        (0x1f, 0) => 0x7f80_0000,
        (0x1f, m) => 0x7fc0_0000 | (m << 13),
        (e, m) => ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(sign | magnitude)
}

/// Rounds an `f32` to IEEE binary16 (round to nearest, ties to even;
/// overflow to infinity; NaN stays NaN).
pub fn f32_to_f16(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let magnitude = bits & 0x7fff_ffff;
    if magnitude > 0x7f80_0000 {
        return sign | 0x7e00; // NaN
    }
    if magnitude >= 0x477f_f000 {
        return sign | 0x7c00; // rounds to or beyond 65520: infinity
    }
    if magnitude < 0x3880_0000 {
        // Below the smallest normal (2^-14): subnormal or zero, in units of
        // 2^-24, rounded to nearest even by the FPU.
        let units = f32::from_bits(magnitude) * 16_777_216.0;
        return sign | (units.round_ties_even() as u16);
    }
    // Normal: rebias the exponent, round the 13 dropped mantissa bits.
    let rebased = magnitude - (112 << 23);
    let half = rebased >> 13;
    let rest = rebased & 0x1fff;
    let rounded = if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) {
        half + 1
    } else {
        half
    };
    sign | rounded as u16
}

/// Decodes a bfloat16 bit pattern (exactly).
pub fn bf16_to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// Rounds an `f32` to bfloat16 (round to nearest, ties to even; NaN stays
/// NaN).
pub fn f32_to_bf16(value: f32) -> u16 {
    let bits = value.to_bits();
    if value.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    let rounding = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(rounding) >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_round_trips_every_bit_pattern() {
        for bits in 0..=u16::MAX {
            let value = f16_to_f32(bits);
            if value.is_nan() {
                assert!(f16_to_f32(f32_to_f16(value)).is_nan());
            } else {
                assert_eq!(f32_to_f16(value), bits, "bits {bits:#06x} value {value}");
            }
        }
    }

    #[test]
    fn f16_rounding() {
        assert_eq!(f32_to_f16(1.0), 0x3c00);
        assert_eq!(f32_to_f16(-2.0), 0xc000);
        assert_eq!(f32_to_f16(65504.0), 0x7bff);
        assert_eq!(f32_to_f16(1.0e6), 0x7c00);
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: rounds to even (1).
        assert_eq!(f32_to_f16(1.0 + f32::powi(2.0, -11)), 0x3c00);
        assert_eq!(f32_to_f16(f32::powi(2.0, -24)), 0x0001);
        assert_eq!(f32_to_f16(f32::powi(2.0, -26)), 0x0000);
    }

    #[test]
    fn bf16_rounding() {
        assert_eq!(f32_to_bf16(1.0), 0x3f80);
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80); // tie to even
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert!(bf16_to_f32(f32_to_bf16(f32::NAN)).is_nan());
    }

    #[test]
    fn bytes_round_trip() {
        let data = TensorData::I64(vec![-1, 2, i64::MAX]);
        let bytes = data.to_le_bytes();
        assert_eq!(
            TensorData::from_le_bytes(ElementType::I64, &bytes),
            Some(data)
        );
        assert_eq!(TensorData::from_le_bytes(ElementType::F32, &[0; 3]), None);
    }

    #[test]
    fn spec_prints_as_mlir() {
        let spec = TensorSpec {
            shape: vec![1, 3, 32, 32],
            element: ElementType::F32,
        };
        assert_eq!(spec.to_string(), "tensor<1x3x32x32xf32>");
        let scalar = TensorSpec {
            shape: vec![],
            element: ElementType::BF16,
        };
        assert_eq!(scalar.to_string(), "tensor<bf16>");
    }
}
