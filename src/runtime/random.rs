//! Deterministic pseudo-random inputs.
//!
//! Argument `i` of a signature draws from its own SplitMix64 stream whose
//! state starts at `seed + (i + 1) * 0x9E3779B97F4A7C15` (wrapping), so the
//! values of an argument depend only on the seed, its position and its own
//! type: the same seed and signature always give the same inputs, on every
//! machine. Elements are drawn in row-major order, one 64-bit draw each:
//! - floats: uniform in `[-1, 1)` on a grid of 2^-23
//!   (`(draw >> 40) * 2^-23 - 1`), computed in `f32` and rounded to
//!   f16/bf16 for those types;
//! - integers: uniform in `[0, 16)` (`draw >> 60`), non-negative so that
//!   integer arguments used as indices stay small.

use super::tensor::{ElementType, Tensor, TensorData, TensorSpec, f32_to_bf16, f32_to_f16};

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed 64-bit
/// generator.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose first output is derived from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)`, a multiple of 2^-23.
    pub fn next_symmetric_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * f32::powi(2.0, -23) - 1.0
    }
}

/// The tensor for argument `index` of a signature under `seed`.
pub fn random_tensor(seed: u64, index: usize, spec: &TensorSpec) -> Tensor {
    let stream = seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut rng = SplitMix64::new(stream);
    let len = spec.len();
    let data = match spec.element {
        ElementType::F32 => TensorData::F32((0..len).map(|_| rng.next_symmetric_f32()).collect()),
        ElementType::F16 => TensorData::F16(
            (0..len)
                .map(|_| f32_to_f16(rng.next_symmetric_f32()))
                .collect(),
        ),
        ElementType::BF16 => TensorData::BF16(
            (0..len)
                .map(|_| f32_to_bf16(rng.next_symmetric_f32()))
                .collect(),
        ),
        ElementType::I32 => {
            TensorData::I32((0..len).map(|_| (rng.next_u64() >> 60) as i32).collect())
        }
        ElementType::I64 => {
            TensorData::I64((0..len).map(|_| (rng.next_u64() >> 60) as i64).collect())
        }
    };
    Tensor {
        shape: spec.shape.clone(),
        data,
    }
}

/// Inputs for every argument of a signature under `seed`.
pub fn random_inputs(seed: u64, arguments: &[TensorSpec]) -> Vec<Tensor> {
    arguments
        .iter()
        .enumerate()
        .map(|(index, spec)| random_tensor(seed, index, spec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(shape: &[usize], element: ElementType) -> TensorSpec {
        TensorSpec {
            shape: shape.to_vec(),
            element,
        }
    }

    #[test]
    fn splitmix64_reference_values() {
        // First outputs for seed 1234567 from the reference implementation.
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
        assert_eq!(rng.next_u64(), 9817491932198370423);
    }

    #[test]
    fn same_seed_same_inputs() {
        let signature = [
            spec(&[2, 3], ElementType::F32),
            spec(&[4], ElementType::I64),
        ];
        assert_eq!(random_inputs(7, &signature), random_inputs(7, &signature));
        assert_ne!(random_inputs(7, &signature), random_inputs(8, &signature));
    }

    #[test]
    fn argument_values_depend_only_on_their_position_and_type() {
        let a = random_inputs(
            3,
            &[spec(&[5], ElementType::F32), spec(&[8], ElementType::F32)],
        );
        let b = random_inputs(
            3,
            &[spec(&[100], ElementType::F32), spec(&[8], ElementType::F32)],
        );
        assert_eq!(a[1], b[1]);
        assert_ne!(a[0].data, a[1].data);
    }

    #[test]
    fn ranges() {
        let t = random_tensor(0, 0, &spec(&[10000], ElementType::F32));
        let TensorData::F32(values) = t.data else {
            panic!()
        };
        assert!(values.iter().all(|v| (-1.0..1.0).contains(v)));
        assert!(values.iter().any(|v| *v < -0.9) && values.iter().any(|v| *v > 0.9));
        let t = random_tensor(0, 0, &spec(&[1000], ElementType::I32));
        let TensorData::I32(values) = t.data else {
            panic!()
        };
        assert!(values.iter().all(|v| (0..16).contains(v)));
        let t = random_tensor(0, 0, &spec(&[100], ElementType::F16));
        assert!((0..100).all(|i| t.data.get_f64(i).abs() <= 1.0));
    }
}
