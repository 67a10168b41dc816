//! Element-wise comparison of a program's outputs against a reference.
//!
//! An element passes when `|a - b| <= atol + rtol * |ref|`. NaN matches
//! only NaN, and infinities only the same infinity. The reported relative
//! error is `|a - b| / max(|ref|, tiny)` with `tiny` the smallest normal
//! `f32`.

use super::tensor::{ElementType, Tensor};
use std::fmt;

/// Absolute and relative tolerance of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance (multiplies `|ref|`).
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Tolerance {
    /// The default for an element type: `f32` rtol 1e-4 / atol 1e-5, `f16`
    /// 1e-2 / 1e-3, `bf16` 5e-2 / 1e-2, integers exact.
    pub fn default_for(element: ElementType) -> Self {
        let (rtol, atol) = match element {
            ElementType::F32 => (1e-4, 1e-5),
            ElementType::F16 => (1e-2, 1e-3),
            ElementType::BF16 => (5e-2, 1e-2),
            ElementType::I32 | ElementType::I64 => (0.0, 0.0),
        };
        Tolerance { rtol, atol }
    }
}

/// The comparison of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Largest `|a - b|` (infinite when NaN or infinities mismatch).
    pub max_abs_error: f64,
    /// Largest `|a - b| / max(|ref|, tiny)`.
    pub max_rel_error: f64,
    /// Number of elements beyond the tolerance.
    pub mismatches: usize,
    /// Number of elements compared.
    pub elements: usize,
    /// Row-major index of the worst element beyond tolerance (largest
    /// excess over the allowed error), if any.
    pub worst: Option<usize>,
    /// The tolerance used.
    pub tolerance: Tolerance,
}

impl Report {
    /// Whether every element is within tolerance.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
    }
}

impl fmt::Display for Report {
    /// `max abs error 1.2e-7, max rel error 3.4e-6, 0/1024 beyond tolerance: PASS`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max abs error {:.3e}, max rel error {:.3e}, {}/{} beyond tolerance (rtol {:e}, atol {:e}): {}",
            self.max_abs_error,
            self.max_rel_error,
            self.mismatches,
            self.elements,
            self.tolerance.rtol,
            self.tolerance.atol,
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

/// Compares `actual` against `reference` element by element. Both must
/// have the same shape and element type (checked by the caller; this
/// panics otherwise).
pub fn compare(reference: &Tensor, actual: &Tensor, tolerance: Tolerance) -> Report {
    assert_eq!(
        reference.spec(),
        actual.spec(),
        "compared tensors differ in type"
    );
    let tiny = f64::from(f32::MIN_POSITIVE);
    let mut report = Report {
        max_abs_error: 0.0,
        max_rel_error: 0.0,
        mismatches: 0,
        elements: reference.len(),
        worst: None,
        tolerance,
    };
    let mut worst_excess = f64::NEG_INFINITY;
    for i in 0..reference.len() {
        let r = reference.data.get_f64(i);
        let a = actual.data.get_f64(i);
        let (abs, ok) = if r.is_nan() || a.is_nan() {
            let same = r.is_nan() && a.is_nan();
            (if same { 0.0 } else { f64::INFINITY }, same)
        } else if r.is_infinite() || a.is_infinite() {
            let same = r == a;
            (if same { 0.0 } else { f64::INFINITY }, same)
        } else {
            let abs = (a - r).abs();
            (abs, abs <= tolerance.atol + tolerance.rtol * r.abs())
        };
        // A mismatched infinity or NaN is infinitely wrong in both senses
        // (inf / inf would give NaN, which `max` ignores).
        let rel = if abs.is_infinite() {
            f64::INFINITY
        } else {
            abs / r.abs().max(tiny)
        };
        report.max_abs_error = report.max_abs_error.max(abs);
        report.max_rel_error = report.max_rel_error.max(rel);
        if !ok {
            report.mismatches += 1;
            let excess = abs - (tolerance.atol + tolerance.rtol * r.abs());
            if report.worst.is_none() || excess > worst_excess {
                worst_excess = excess;
                report.worst = Some(i);
            }
        }
    }
    report
}

/// `tolerance` with its absolute part measured against the scale of
/// `reference` (its largest finite magnitude): the tolerance for an output
/// checked against another framework's (PyTorch's), whose rounding differs
/// by a few ulps of the largest values, not of each element.
pub fn scaled_to(reference: &Tensor, tolerance: Tolerance) -> Tolerance {
    let scale = (0..reference.len())
        .map(|i| reference.data.get_f64(i).abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    Tolerance {
        rtol: tolerance.rtol,
        atol: if scale > 0.0 {
            tolerance.atol * scale
        } else {
            tolerance.atol
        },
    }
}

/// The multi-index of row-major position `index` in `shape`.
pub fn unravel(mut index: usize, shape: &[usize]) -> Vec<usize> {
    let mut position = vec![0; shape.len()];
    for (slot, &dim) in position.iter_mut().zip(shape).rev() {
        if dim > 0 {
            *slot = index % dim;
            index /= dim;
        }
    }
    position
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::tensor::TensorData;

    fn f32s(values: &[f32]) -> Tensor {
        Tensor {
            shape: vec![values.len()],
            data: TensorData::F32(values.to_vec()),
        }
    }

    #[test]
    fn identical_tensors_pass_with_zero_error() {
        let t = f32s(&[1.0, -2.0, 0.0, f32::NAN, f32::INFINITY]);
        let report = compare(&t, &t, Tolerance::default_for(ElementType::F32));
        assert!(report.passed());
        assert_eq!(report.max_abs_error, 0.0);
        assert_eq!(report.max_rel_error, 0.0);
        assert_eq!(report.elements, 5);
    }

    #[test]
    fn tolerance_is_atol_plus_rtol_times_reference() {
        let tol = Tolerance {
            rtol: 1e-2,
            atol: 1e-3,
        };
        // Allowed error at ref 1.0 is 0.011.
        assert!(compare(&f32s(&[1.0]), &f32s(&[1.0105]), tol).passed());
        let report = compare(&f32s(&[1.0]), &f32s(&[1.012]), tol);
        assert!(!report.passed());
        assert_eq!(report.worst, Some(0));
        assert!((report.max_abs_error - 0.012).abs() < 1e-6);
        assert!((report.max_rel_error - 0.012).abs() < 1e-6);
        // Near zero only atol counts.
        assert!(compare(&f32s(&[0.0]), &f32s(&[0.0009]), tol).passed());
        assert!(!compare(&f32s(&[0.0]), &f32s(&[0.0011]), tol).passed());
    }

    #[test]
    fn relative_error_is_against_the_reference() {
        let tol = Tolerance::default_for(ElementType::F32);
        let report = compare(&f32s(&[2.0, 4.0]), &f32s(&[2.0, 5.0]), tol);
        assert_eq!(report.max_abs_error, 1.0);
        assert_eq!(report.max_rel_error, 0.25);
        assert_eq!(report.mismatches, 1);
        assert_eq!(report.worst, Some(1));
        assert!(report.to_string().ends_with("FAIL"));
    }

    #[test]
    fn scaled_tolerance_follows_the_largest_magnitude() {
        let tol = Tolerance::default_for(ElementType::F32);
        let scaled = scaled_to(&f32s(&[0.5, -40.0, f32::INFINITY]), tol);
        assert_eq!(scaled.rtol, tol.rtol);
        assert!((scaled.atol - 40.0 * tol.atol).abs() < 1e-12);
        assert_eq!(scaled_to(&f32s(&[0.0]), tol), tol);
    }

    #[test]
    fn nan_and_infinity_mismatches_fail() {
        let tol = Tolerance::default_for(ElementType::F32);
        assert!(!compare(&f32s(&[1.0]), &f32s(&[f32::NAN]), tol).passed());
        assert!(!compare(&f32s(&[f32::NAN]), &f32s(&[1.0]), tol).passed());
        assert!(!compare(&f32s(&[f32::INFINITY]), &f32s(&[f32::NEG_INFINITY]), tol).passed());
        let report = compare(&f32s(&[1.0]), &f32s(&[f32::INFINITY]), tol);
        assert_eq!(report.max_abs_error, f64::INFINITY);
        // Infinity against 0: both errors are infinite, not "0".
        let report = compare(&f32s(&[f32::INFINITY]), &f32s(&[0.0]), tol);
        assert_eq!(report.max_rel_error, f64::INFINITY);
        assert_eq!(report.max_abs_error, f64::INFINITY);
    }

    #[test]
    fn integers_compare_exactly_by_default() {
        let a = Tensor {
            shape: vec![2],
            data: TensorData::I64(vec![1, 2]),
        };
        let b = Tensor {
            shape: vec![2],
            data: TensorData::I64(vec![1, 3]),
        };
        let tol = Tolerance::default_for(ElementType::I64);
        assert!(compare(&a, &a, tol).passed());
        assert!(!compare(&a, &b, tol).passed());
    }

    #[test]
    fn unravel_row_major() {
        assert_eq!(unravel(0, &[2, 3]), vec![0, 0]);
        assert_eq!(unravel(5, &[2, 3]), vec![1, 2]);
        assert_eq!(unravel(7, &[1, 2, 2, 2]), vec![0, 1, 1, 1]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }
}
