//! Ranked memref descriptors as MLIR's C interface expects them:
//! `{ T *allocated; T *aligned; i64 offset; i64 sizes[rank]; i64 strides[rank]; }`
//! (for rank 0, only the first three fields).

use super::{RuntimeError, engine::Engine};
use std::ffi::c_void;

const _: () = assert!(std::mem::size_of::<*mut u8>() == std::mem::size_of::<i64>());

/// An identity-layout (row-major, offset 0) descriptor of a host buffer.
#[derive(Debug)]
pub struct Descriptor {
    words: Vec<i64>,
}

impl Descriptor {
    /// Describes `data`, holding a row-major array of `shape`.
    pub fn new(data: *mut u8, shape: &[usize]) -> Self {
        let mut words = Vec::with_capacity(3 + 2 * shape.len());
        words.extend([data as i64, data as i64, 0]);
        words.extend(shape.iter().map(|&d| d as i64));
        words.extend(row_major_strides(shape).into_iter().map(|s| s as i64));
        Descriptor { words }
    }

    /// The descriptor's address, as the C interface takes it.
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        self.words.as_mut_ptr() as *mut c_void
    }
}

/// Calls `_mlir_ciface_ENTRY(d0*, d1*, ...)` of `engine` with one memref
/// descriptor per parameter (after `buffer-results-to-out-params`: the
/// inputs, then the results' buffers).
///
/// # Safety
///
/// `descriptors` must match the function's parameters one to one and
/// describe live buffers of the parameters' shapes and element types.
pub unsafe fn invoke_on_descriptors(
    engine: &Engine,
    entry: &str,
    descriptors: &mut [Descriptor],
) -> Result<(), RuntimeError> {
    let mut pointers: Vec<*mut c_void> =
        descriptors.iter_mut().map(Descriptor::as_mut_ptr).collect();
    let mut packed: Vec<*mut c_void> = pointers
        .iter_mut()
        .map(|p| p as *mut *mut c_void as *mut c_void)
        .collect();
    // SAFETY: one packed argument per parameter, each a pointer to a
    // descriptor pointer; the rest is forwarded to the caller.
    unsafe { engine.invoke_ciface(entry, &mut packed) }
}

/// Strides in elements of a row-major array of `shape`.
pub fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_layout() {
        let mut buffer = [0f32; 24];
        let ptr = buffer.as_mut_ptr() as *mut u8;
        let d = Descriptor::new(ptr, &[2, 3, 4]);
        assert_eq!(d.words, vec![ptr as i64, ptr as i64, 0, 2, 3, 4, 12, 4, 1]);
        let scalar = Descriptor::new(ptr, &[]);
        assert_eq!(scalar.words.len(), 3);
        assert_eq!(row_major_strides(&[5]), vec![1]);
    }
}
