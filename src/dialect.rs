//! The `chlast` dialect: registration and `#chlast.layout` attributes.

use crate::ffi;
use melior::{
    Context,
    dialect::{DialectHandle, DialectRegistry},
    ir::{Attribute, attribute::AttributeLike},
};

/// The dialect handle of `chlast` (defined in `dialects/chlast`).
pub fn handle() -> DialectHandle {
    // SAFETY: the handle is a static object of the linked dialect library.
    unsafe { DialectHandle::from_raw(ffi::mlirGetDialectHandle__chlast__()) }
}

/// Inserts the `chlast` dialect into `registry`.
pub fn register(registry: &DialectRegistry) {
    handle().insert_dialect(registry);
}

/// Inserts every upstream dialect (with extensions) and `chlast` into
/// `registry`, as `chlast-opt` does.
pub fn register_upstream_and_chlast(registry: &DialectRegistry) {
    melior::utility::register_all_dialects(registry);
    register(registry);
}

/// Loads the `chlast` dialect into `context`.
pub fn load(context: &Context) {
    handle().load_dialect(context);
}

/// The physical layout carried by a `#chlast.layout` encoding: the tensor is
/// viewed with shape `view` (a refinement of its logical shape; empty when
/// equal to it) and stored in the order `perm` of the view's dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutEncoding {
    /// `perm[i]` is the view dimension stored at physical position `i`.
    pub perm: Vec<i64>,
    /// The view shape; empty when it is the tensor's own shape.
    pub view: Vec<i64>,
}

/// Builds `#chlast.layout<...>`; `None` if `perm` is not a permutation of
/// the view's (or, with an empty view, the tensor's) dimensions.
pub fn layout_attribute<'c>(
    context: &'c Context,
    encoding: &LayoutEncoding,
) -> Option<Attribute<'c>> {
    // SAFETY: pointers and lengths come from live slices; a null result is
    // checked before wrapping.
    unsafe {
        let raw = ffi::chlastLayoutAttrGetWithView(
            context.to_raw(),
            encoding.perm.len() as isize,
            encoding.perm.as_ptr(),
            encoding.view.len() as isize,
            encoding.view.as_ptr(),
        );
        (!raw.ptr.is_null()).then(|| Attribute::from_raw(raw))
    }
}

/// Reads a `#chlast.layout` attribute; `None` for any other attribute.
pub fn layout_encoding(attribute: Attribute) -> Option<LayoutEncoding> {
    let raw = attribute.to_raw();
    // SAFETY: `raw` is a live attribute; accessors are only called on layouts.
    unsafe {
        if raw.ptr.is_null() || !ffi::chlastAttributeIsALayout(raw) {
            return None;
        }
        let perm = (0..ffi::chlastLayoutAttrGetRank(raw))
            .map(|i| ffi::chlastLayoutAttrGetDim(raw, i))
            .collect();
        let view = (0..ffi::chlastLayoutAttrGetViewRank(raw))
            .map(|i| ffi::chlastLayoutAttrGetViewDim(raw, i))
            .collect();
        Some(LayoutEncoding { perm, view })
    }
}
