//! Thin, safe helpers over MLIR's C API for the passes: reading op names,
//! types, indexing maps and attributes, and creating the few ops the passes
//! insert. Everything takes and returns raw handles owned by the module the
//! pass runs on.

use crate::{ffi, layout::Layout};
use mlir_sys::*;

/// A value handle usable as a map key.
pub type ValueKey = usize;

pub fn key(value: MlirValue) -> ValueKey {
    value.ptr as usize
}

pub fn string_ref(text: &str) -> MlirStringRef {
    MlirStringRef {
        data: text.as_ptr() as *const _,
        length: text.len(),
    }
}

/// The text of an MLIR string ref (empty for null).
pub(crate) fn string_of(text: MlirStringRef) -> String {
    if text.data.is_null() {
        return String::new();
    }
    // SAFETY: MLIR string refs point to `length` valid bytes.
    unsafe {
        String::from_utf8_lossy(std::slice::from_raw_parts(
            text.data as *const u8,
            text.length,
        ))
        .into_owned()
    }
}

/// Renders anything MLIR prints through a callback.
fn print_with(print: impl FnOnce(MlirStringCallback, *mut std::ffi::c_void)) -> String {
    unsafe extern "C" fn append(text: MlirStringRef, data: *mut std::ffi::c_void) {
        // SAFETY: `data` is the String below.
        unsafe { (*(data as *mut String)).push_str(&string_of(text)) }
    }
    let mut out = String::new();
    print(Some(append), &mut out as *mut String as *mut _);
    out
}

pub fn op_name(op: MlirOperation) -> String {
    // SAFETY: `op` is a live operation.
    unsafe { string_of(mlirIdentifierStr(mlirOperationGetName(op))) }
}

pub fn location_string(op: MlirOperation) -> String {
    // SAFETY: `op` is live; printing only reads it.
    print_with(|cb, data| unsafe { mlirLocationPrint(mlirOperationGetLocation(op), cb, data) })
}

pub fn type_string(ty: MlirType) -> String {
    // SAFETY: `ty` is a live type.
    print_with(|cb, data| unsafe { mlirTypePrint(ty, cb, data) })
}

pub fn operands(op: MlirOperation) -> Vec<MlirValue> {
    // SAFETY: indices are in range.
    unsafe {
        (0..mlirOperationGetNumOperands(op))
            .map(|i| mlirOperationGetOperand(op, i))
            .collect()
    }
}

pub fn results(op: MlirOperation) -> Vec<MlirValue> {
    // SAFETY: indices are in range.
    unsafe {
        (0..mlirOperationGetNumResults(op))
            .map(|i| mlirOperationGetResult(op, i))
            .collect()
    }
}

pub fn set_operand(op: MlirOperation, index: usize, value: MlirValue) {
    // SAFETY: `index` is an operand index of `op` and `value` dominates it.
    unsafe { mlirOperationSetOperand(op, index as isize, value) }
}

/// Ops of a block, in order.
pub fn block_ops(block: MlirBlock) -> Vec<MlirOperation> {
    let mut ops = Vec::new();
    // SAFETY: walking the intrusive list of a live block.
    unsafe {
        let mut op = mlirBlockGetFirstOperation(block);
        while !op.ptr.is_null() {
            ops.push(op);
            op = mlirOperationGetNextInBlock(op);
        }
    }
    ops
}

/// Every op nested (at any depth) in the regions of `op`.
pub fn nested_ops(op: MlirOperation) -> Vec<MlirOperation> {
    let mut out = Vec::new();
    let mut stack = vec![op];
    while let Some(current) = stack.pop() {
        // SAFETY: walking regions and blocks of live ops.
        unsafe {
            for r in 0..mlirOperationGetNumRegions(current) {
                let mut block = mlirRegionGetFirstBlock(mlirOperationGetRegion(current, r));
                while !block.ptr.is_null() {
                    for inner in block_ops(block) {
                        out.push(inner);
                        stack.push(inner);
                    }
                    block = mlirBlockGetNextInRegion(block);
                }
            }
        }
    }
    out
}

/// The first block of `op`'s first region, if any.
fn first_block(op: MlirOperation) -> Option<MlirBlock> {
    // SAFETY: reading the structure of a live op.
    unsafe {
        if mlirOperationGetNumRegions(op) == 0 {
            return None;
        }
        let block = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
        (!block.ptr.is_null()).then_some(block)
    }
}

/// The first block of `op`'s first region and the single value its
/// terminator yields, when that block holds the terminator alone.
fn sole_yield(op: MlirOperation) -> Option<(MlirBlock, MlirValue)> {
    let block = first_block(op)?;
    // SAFETY: reading the structure of a live block.
    unsafe {
        let terminator = mlirBlockGetFirstOperation(block);
        if terminator.ptr.is_null()
            || !mlirOperationGetNextInBlock(terminator).ptr.is_null()
            || mlirOperationGetNumOperands(terminator) != 1
        {
            return None;
        }
        Some((block, mlirOperationGetOperand(terminator, 0)))
    }
}

/// True when the body of `op` (its first region's first block) is only a
/// terminator yielding the block's first argument: a copy of its first
/// input (`linalg.transpose`, `linalg.broadcast`, `linalg.copy`, a generic
/// that repeats or reorders data).
pub fn yields_first_block_argument(op: MlirOperation) -> bool {
    let Some((block, yielded)) = sole_yield(op) else {
        return false;
    };
    // SAFETY: reading the arguments of a live block.
    unsafe {
        mlirBlockGetNumArguments(block) > 0
            && mlirValueEqual(yielded, mlirBlockGetArgument(block, 0))
    }
}

/// True when `op`'s body yields a value that does not depend on its block
/// arguments: one defined outside, or a constant inside (a `tensor.pad`
/// whose padding value does not depend on the position).
pub fn yields_a_position_independent_value(op: MlirOperation) -> bool {
    let Some(block) = first_block(op) else {
        return false;
    };
    // SAFETY: reading the structure of a live block.
    unsafe {
        let ops = block_ops(block);
        let Some((&terminator, body)) = ops.split_last() else {
            return false;
        };
        if mlirOperationGetNumOperands(terminator) != 1
            || body.iter().any(|&o| op_name(o) != "arith.constant")
        {
            return false;
        }
        let yielded = mlirOperationGetOperand(terminator, 0);
        !(mlirValueIsABlockArgument(yielded)
            && mlirBlockEqual(mlirBlockArgumentGetOwner(yielded), block))
    }
}

/// The single block of a function-like op's body, if it has exactly one.
pub fn single_body_block(op: MlirOperation) -> Option<MlirBlock> {
    // SAFETY: reading the structure of a live op.
    unsafe {
        if mlirOperationGetNumRegions(op) != 1 {
            return None;
        }
        let block = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
        (!block.ptr.is_null() && mlirBlockGetNextInRegion(block).ptr.is_null()).then_some(block)
    }
}

pub fn block_arguments(block: MlirBlock) -> Vec<MlirValue> {
    // SAFETY: indices are in range.
    unsafe {
        (0..mlirBlockGetNumArguments(block))
            .map(|i| mlirBlockGetArgument(block, i))
            .collect()
    }
}

/// The op defining `value`, or `None` for a block argument.
pub fn defining_op(value: MlirValue) -> Option<MlirOperation> {
    // SAFETY: `value` is live.
    unsafe { mlirValueIsAOpResult(value).then(|| mlirOpResultGetOwner(value)) }
}

pub fn attribute(op: MlirOperation, name: &str) -> Option<MlirAttribute> {
    // SAFETY: `op` is live.
    let attr = unsafe { mlirOperationGetAttributeByName(op, string_ref(name)) };
    (!attr.ptr.is_null()).then_some(attr)
}

/// The values of an integer elements attribute named `name` on `op` (a
/// conv's `strides`, `dilations`), or `None` when there is none or it is not
/// integer elements.
pub fn int_elements(op: MlirOperation, name: &str) -> Option<Vec<i64>> {
    let attr = attribute(op, name)?;
    // SAFETY: queries on a live attribute; values are read only from a
    // dense integer elements attribute, within its element count.
    unsafe {
        if !mlirAttributeIsADenseIntElements(attr) {
            return None;
        }
        let count = mlirElementsAttrGetNumElements(attr).max(0) as isize;
        Some(
            (0..count)
                .map(|i| mlirDenseElementsAttrGetInt64Value(attr, i))
                .collect(),
        )
    }
}

/// A statically shaped ranked tensor type, as the layout algebra needs it.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub shape: Vec<i64>,
    pub element_bits: u64,
    pub element: MlirType,
    pub has_encoding: bool,
}

/// `Some` for ranked tensors with static shapes; `None` otherwise.
pub fn static_tensor(ty: MlirType) -> Option<TensorInfo> {
    // SAFETY: type queries on a live type.
    unsafe {
        if !mlirTypeIsARankedTensor(ty) || !mlirShapedTypeHasStaticShape(ty) {
            return None;
        }
        let shape = (0..mlirShapedTypeGetRank(ty))
            .map(|i| mlirShapedTypeGetDimSize(ty, i as isize))
            .collect();
        let element = mlirShapedTypeGetElementType(ty);
        let element_bits = if mlirTypeIsAFloat(element) {
            mlirFloatTypeGetWidth(element) as u64
        } else if mlirTypeIsAInteger(element) {
            mlirIntegerTypeGetWidth(element) as u64
        } else {
            64
        };
        let has_encoding = !mlirRankedTensorTypeGetEncoding(ty).ptr.is_null();
        Some(TensorInfo {
            shape,
            element_bits,
            element,
            has_encoding,
        })
    }
}

pub fn is_tensor(ty: MlirType) -> bool {
    // SAFETY: type query.
    unsafe { mlirTypeIsATensor(ty) }
}

pub fn value_type(value: MlirValue) -> MlirType {
    // SAFETY: `value` is live.
    unsafe { mlirValueGetType(value) }
}

/// The tensor type of `info` with `layout` as its encoding (no encoding for
/// the plain layout).
pub fn tensor_type(context: MlirContext, info: &TensorInfo, layout: &Layout) -> MlirType {
    let encoding = match layout.encoding() {
        None => MlirAttribute {
            ptr: std::ptr::null(),
        },
        // SAFETY: the layout is canonical, so the attribute verifies.
        Some((perm, view)) => unsafe {
            ffi::chlastLayoutAttrGetWithView(
                context,
                perm.len() as isize,
                perm.as_ptr(),
                view.len() as isize,
                view.as_ptr(),
            )
        },
    };
    // SAFETY: shape and element come from a valid tensor type.
    unsafe {
        mlirRankedTensorTypeGet(
            info.shape.len() as isize,
            info.shape.as_ptr(),
            info.element,
            encoding,
        )
    }
}

pub fn set_type(value: MlirValue, ty: MlirType) {
    // SAFETY: the caller keeps the IR consistent (all users accept `ty`).
    unsafe { mlirValueSetType(value, ty) }
}

/// One result expression of an affine map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapExpr {
    /// `dK`
    Dim(usize),
    /// A constant.
    Constant(i64),
    /// Anything else; the loop dims it mentions.
    Compound(Vec<usize>),
}

fn expr_dims(expr: MlirAffineExpr, num_dims: usize, out: &mut Vec<usize>) {
    for d in 0..num_dims {
        // SAFETY: `expr` is live.
        if unsafe { mlirAffineExprIsFunctionOfDim(expr, d as isize) } {
            out.push(d);
        }
    }
}

/// The indexing maps of a LinalgOp, one per operand.
pub fn indexing_maps(op: MlirOperation) -> Option<Vec<Vec<MapExpr>>> {
    // SAFETY: only called on LinalgOps; attribute accessors on live attrs.
    unsafe {
        if !ffi::chlastIsLinalgOp(op) {
            return None;
        }
        let maps = mlirLinalgGetIndexingMapsAttribute(op);
        if maps.ptr.is_null() || !mlirAttributeIsAArray(maps) {
            return None;
        }
        let mut out = Vec::new();
        for i in 0..mlirArrayAttrGetNumElements(maps) {
            let map = mlirAffineMapAttrGetValue(mlirArrayAttrGetElement(maps, i));
            let num_dims = mlirAffineMapGetNumDims(map) as usize;
            let exprs = (0..mlirAffineMapGetNumResults(map))
                .map(|r| {
                    let expr = mlirAffineMapGetResult(map, r);
                    if mlirAffineExprIsADim(expr) {
                        MapExpr::Dim(mlirAffineDimExprGetPosition(expr) as usize)
                    } else if mlirAffineExprIsAConstant(expr) {
                        MapExpr::Constant(mlirAffineConstantExprGetValue(expr))
                    } else {
                        let mut dims = Vec::new();
                        expr_dims(expr, num_dims, &mut dims);
                        MapExpr::Compound(dims)
                    }
                })
                .collect();
            out.push(exprs);
        }
        Some(out)
    }
}

/// An `[[0], [1, 2]]`-style reassociation attribute.
pub fn reassociation(op: MlirOperation) -> Option<Vec<Vec<usize>>> {
    let attr = attribute(op, "reassociation")?;
    // SAFETY: walking a live array attribute, checking kinds first.
    unsafe {
        if !mlirAttributeIsAArray(attr) {
            return None;
        }
        (0..mlirArrayAttrGetNumElements(attr))
            .map(|i| {
                let group = mlirArrayAttrGetElement(attr, i);
                mlirAttributeIsAArray(group).then(|| {
                    (0..mlirArrayAttrGetNumElements(group))
                        .map(|j| {
                            mlirIntegerAttrGetValueInt(mlirArrayAttrGetElement(group, j)) as usize
                        })
                        .collect()
                })
            })
            .collect()
    }
}

/// The value of an `arith.constant` of integer or index type.
pub fn constant_int(value: MlirValue) -> Option<i64> {
    let op = defining_op(value)?;
    if op_name(op) != "arith.constant" {
        return None;
    }
    let attr = attribute(op, "value")?;
    // SAFETY: kind checked before reading.
    unsafe { mlirAttributeIsAInteger(attr).then(|| mlirIntegerAttrGetValueInt(attr)) }
}

/// Creates `op_name` with `operands`, one result of `result`, and
/// `attributes`, inserted after `after` (or at the start of `block`).
#[allow(clippy::too_many_arguments)] // one argument per part of an OperationState
pub fn create_after(
    context: MlirContext,
    block: MlirBlock,
    after: Option<MlirOperation>,
    location: MlirLocation,
    name: &str,
    operands: &[MlirValue],
    result: MlirType,
    attributes: &[(&str, MlirAttribute)],
) -> MlirOperation {
    // SAFETY: the state is filled with live handles and consumed by create;
    // the new op is handed to the block, which owns it afterwards.
    unsafe {
        let mut state = mlirOperationStateGet(string_ref(name), location);
        mlirOperationStateAddOperands(&mut state, operands.len() as isize, operands.as_ptr());
        mlirOperationStateAddResults(&mut state, 1, &result);
        let named: Vec<MlirNamedAttribute> = attributes
            .iter()
            .map(|(n, a)| mlirNamedAttributeGet(mlirIdentifierGet(context, string_ref(n)), *a))
            .collect();
        mlirOperationStateAddAttributes(&mut state, named.len() as isize, named.as_ptr());
        let op = mlirOperationCreate(&mut state);
        match after {
            Some(reference) => mlirBlockInsertOwnedOperationAfter(block, reference, op),
            None => {
                let first = mlirBlockGetFirstOperation(block);
                mlirBlockInsertOwnedOperationBefore(block, first, op)
            }
        }
        op
    }
}

pub fn has_uses(value: MlirValue) -> bool {
    // SAFETY: `value` is live.
    unsafe { !mlirValueGetFirstUse(value).ptr.is_null() }
}

pub fn erase(op: MlirOperation) {
    // SAFETY: the caller checked that no result is used.
    unsafe { mlirOperationDestroy(op) }
}

pub fn emit_remark(op: MlirOperation, message: &str) {
    // SAFETY: live op, message valid during the call.
    unsafe { ffi::chlastEmitRemark(mlirOperationGetLocation(op), string_ref(message)) }
}

pub fn symbol_name(op: MlirOperation) -> String {
    attribute(op, "sym_name")
        // SAFETY: sym_name is a string attribute.
        .map(|a| unsafe { string_of(mlirStringAttrGetValue(a)) })
        .unwrap_or_default()
}

pub fn context_of(op: MlirOperation) -> MlirContext {
    // SAFETY: `op` is live.
    unsafe { mlirOperationGetContext(op) }
}

pub fn location(op: MlirOperation) -> MlirLocation {
    // SAFETY: `op` is live.
    unsafe { mlirOperationGetLocation(op) }
}

pub fn is_linalg(op: MlirOperation) -> bool {
    // SAFETY: query on a live op.
    unsafe { ffi::chlastIsLinalgOp(op) }
}

pub fn linalg_num_inputs(op: MlirOperation) -> usize {
    // SAFETY: only called on LinalgOps.
    unsafe { ffi::chlastLinalgGetNumDpsInputs(op) as usize }
}

pub fn linalg_num_loops(op: MlirOperation) -> usize {
    // SAFETY: only called on LinalgOps.
    unsafe { ffi::chlastLinalgGetNumLoops(op) as usize }
}

pub fn emit_error(op: MlirOperation, message: &str) {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: live op, message valid during the call.
    unsafe { mlirEmitError(mlirOperationGetLocation(op), text.as_ptr()) }
}

/// True for ops whose `value` is a dense or dense_resource elements attribute.
pub fn has_elements_value(op: MlirOperation) -> bool {
    attribute(op, "value")
        // SAFETY: kind queries on a live attribute.
        .is_some_and(|a| unsafe {
            mlirAttributeIsADenseElements(a) || mlirAttributeIsADenseResourceElements(a)
        })
}

/// A copy of `op` inserted right after `after` (same block).
pub fn clone_after(op: MlirOperation, after: MlirOperation) -> MlirOperation {
    // SAFETY: the clone is owned by the block it is inserted into.
    unsafe {
        let copy = mlirOperationClone(op);
        mlirBlockInsertOwnedOperationAfter(mlirOperationGetBlock(after), after, copy);
        copy
    }
}
