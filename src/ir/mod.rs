//! Safe access to MLIR for chlast's Rust passes: melior's typed handles
//! (`OperationRef`, `Value`, `BlockRef`, `Type`, `Attribute`) plus the
//! queries melior does not wrap (LinalgOp and ConvolutionOpInterface facts,
//! indexing maps, op classes decided by C++ type checks, `#chlast.layout`
//! types, the ODS builder of `chlast.to_layout`).
//!
//! melior's fallible accessors print the whole op or value into their error
//! (`region(i)`, `operand(i)`, `BlockArgument::try_from`, ...), which costs
//! a walk of the enclosing function: the helpers here check first and only
//! call them when they succeed (on a 2 000-block chain, calling them on the
//! failure path made the pass quadratic: 43 s instead of 0.4 s).
//!
//! This module is the FFI boundary of the passes: every `unsafe` call into
//! MLIR's or chlast's C API that they need is here, each on handles that a
//! melior reference keeps alive. The passes themselves (`crate::transforms`)
//! dispatch on [`OpClass`] and never compare op names.

use crate::{ffi, layout::Layout};
use melior::ir::{
    Attribute, Location, Operation, TypeLike,
    attribute::AttributeLike,
    block::BlockArgument,
    operation::{OperationBuilder, OperationResult},
};
pub use melior::ir::{
    BlockLike, BlockRef, OperationRef, RegionLike, Type, Value, ValueLike, operation::OperationLike,
};
use mlir_sys::*;

pub use ffi::ChlastOpClass as OpClass;
pub use linalg::{ConvolutionDims, LinalgOp, MapExpr};

mod linalg;

/// A value handle usable as a map key.
pub type ValueKey = usize;

/// The map key of `value`.
pub fn key(value: Value) -> ValueKey {
    value.to_raw().ptr as usize
}

/// An MLIR string ref borrowing `text`.
pub fn string_ref(text: &str) -> MlirStringRef {
    MlirStringRef {
        data: text.as_ptr() as *const _,
        length: text.len(),
    }
}

/// The text of an MLIR string ref (empty for null).
///
/// # Safety
/// `text` must point to `length` readable bytes (as every string ref MLIR
/// hands out does, for the duration of the call that handed it out).
pub unsafe fn string_of(text: MlirStringRef) -> String {
    if text.data.is_null() {
        return String::new();
    }
    // SAFETY: the caller guarantees `length` valid bytes.
    unsafe {
        String::from_utf8_lossy(std::slice::from_raw_parts(
            text.data as *const u8,
            text.length,
        ))
        .into_owned()
    }
}

/// The class of `op`, decided by C++ type and interface checks.
pub fn op_class(op: OperationRef) -> OpClass {
    // SAFETY: `op` is a live operation (a melior reference).
    unsafe { ffi::chlastClassifyOp(op.to_raw()) }
}

/// The op's name (`linalg.generic`), for reports only.
pub fn op_name(op: OperationRef) -> String {
    op.name()
        .as_string_ref()
        .as_str()
        .unwrap_or("?")
        .to_string()
}

/// The op's location as MLIR prints it (`loc("model.py":3:7)`).
pub fn location_string(op: OperationRef) -> String {
    op.location().to_string()
}

/// A type as MLIR prints it.
pub fn type_string(ty: Type) -> String {
    ty.to_string()
}

/// Ops of a block, in order.
pub fn block_ops<'c, 'a>(block: BlockRef<'c, 'a>) -> Vec<OperationRef<'c, 'a>> {
    let mut ops = Vec::new();
    let mut op = block.first_operation();
    while let Some(current) = op {
        ops.push(current);
        op = current.next_in_block();
    }
    ops
}

/// The blocks of every region of `op`.
fn blocks<'c, 'a>(op: OperationRef<'c, 'a>) -> Vec<BlockRef<'c, 'a>> {
    let mut out = Vec::new();
    for region in op.regions() {
        let mut block = region.first_block();
        while let Some(current) = block {
            out.push(current);
            block = current.next_in_region();
        }
    }
    out
}

/// Every op nested (at any depth) in the regions of `op`.
pub fn nested_ops<'c, 'a>(op: OperationRef<'c, 'a>) -> Vec<OperationRef<'c, 'a>> {
    let mut out = Vec::new();
    let mut stack = vec![op];
    while let Some(current) = stack.pop() {
        for block in blocks(current) {
            for inner in block_ops(block) {
                out.push(inner);
                stack.push(inner);
            }
        }
    }
    out
}

/// The single block of `op`'s single region, if it has exactly one.
pub fn single_body_block<'c, 'a>(op: OperationRef<'c, 'a>) -> Option<BlockRef<'c, 'a>> {
    if op.region_count() != 1 {
        return None;
    }
    let block = op.region(0).ok()?.first_block()?;
    block.next_in_region().is_none().then_some(block)
}

/// The first block of `op`'s first region, if it has one.
fn first_block<'c, 'a>(op: OperationRef<'c, 'a>) -> Option<BlockRef<'c, 'a>> {
    if op.region_count() == 0 {
        return None;
    }
    op.region(0).ok()?.first_block()
}

/// The first block of `op`'s first region and the single value its
/// terminator yields, when that block holds the terminator alone.
fn sole_yield<'c, 'a>(op: OperationRef<'c, 'a>) -> Option<(BlockRef<'c, 'a>, Value<'c, 'a>)> {
    let block = first_block(op)?;
    let terminator = block.first_operation()?;
    if terminator.next_in_block().is_some() || terminator.operand_count() != 1 {
        return None;
    }
    Some((block, terminator.operand(0).ok()?))
}

/// True when the body of `op` (its first region's first block) is only a
/// terminator yielding the block's first argument: a copy of its first
/// input (`linalg.transpose`, `linalg.broadcast`, `linalg.copy`, a generic
/// that repeats or reorders data).
pub fn yields_first_block_argument(op: OperationRef) -> bool {
    let Some((block, yielded)) = sole_yield(op) else {
        return false;
    };
    block.argument_count() > 0
        && block
            .argument(0)
            .is_ok_and(|first| Value::from(first) == yielded)
}

/// True when `op`'s body yields a value that does not depend on its block
/// arguments: one defined outside, or a constant inside (a `tensor.pad`
/// whose padding value does not depend on the position).
pub fn yields_a_position_independent_value(op: OperationRef) -> bool {
    let Some(block) = first_block(op) else {
        return false;
    };
    let ops = block_ops(block);
    let Some((&terminator, body)) = ops.split_last() else {
        return false;
    };
    if terminator.operand_count() != 1
        || body
            .iter()
            .any(|&o| op_class(o) != OpClass::CHLAST_OP_CONSTANT)
    {
        return false;
    }
    let Ok(yielded) = terminator.operand(0) else {
        return false;
    };
    !(yielded.is_block_argument()
        && BlockArgument::try_from(yielded).is_ok_and(|argument| argument.owner() == block))
}

/// The block arguments of `block`.
pub fn block_arguments<'c, 'a>(block: BlockRef<'c, 'a>) -> Vec<Value<'c, 'a>> {
    (0..block.argument_count())
        .filter_map(|i| block.argument(i).ok().map(Value::from))
        .collect()
}

/// The operands of `op`.
pub fn operands<'c, 'a>(op: OperationRef<'c, 'a>) -> Vec<Value<'c, 'a>> {
    op.operands().collect()
}

/// The results of `op`.
pub fn results<'c, 'a>(op: OperationRef<'c, 'a>) -> Vec<Value<'c, 'a>> {
    op.results().map(Value::from).collect()
}

/// The op defining `value`, or `None` for a block argument.
pub fn defining_op<'c, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    if !value.is_operation_result() {
        return None;
    }
    OperationResult::try_from(value).ok().map(|r| r.owner())
}

/// True when `value` is an argument of a block nested (at any depth) in
/// `op`'s regions.
pub fn is_block_argument_inside(value: Value, op: OperationRef) -> bool {
    if !value.is_block_argument() {
        return false;
    }
    let Ok(argument) = BlockArgument::try_from(value) else {
        return false;
    };
    let mut current = argument.owner().parent_operation();
    while let Some(parent) = current {
        if parent == op {
            return true;
        }
        current = parent.parent_operation();
    }
    false
}

/// Whether anything uses `value`.
pub fn has_uses(value: Value) -> bool {
    // SAFETY: `value` is live.
    unsafe { !mlirValueGetFirstUse(value.to_raw()).ptr.is_null() }
}

/// The values of an integer elements attribute named `name` on `op` (a
/// conv's `strides`, `dilations`), or `None` when there is none or it is not
/// integer elements.
pub fn int_elements(op: OperationRef, name: &str) -> Option<Vec<i64>> {
    let attr = op.attribute(name).ok()?.to_raw();
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

/// The value of an integer attribute named `name` on `op` (`linalg.index`'s
/// `dim`).
pub fn int_attribute(op: OperationRef, name: &str) -> Option<i64> {
    let attr = op.attribute(name).ok()?.to_raw();
    // SAFETY: kind checked before reading.
    unsafe { mlirAttributeIsAInteger(attr).then(|| mlirIntegerAttrGetValueInt(attr)) }
}

/// An `[[0], [1, 2]]`-style `reassociation` attribute of `op`.
pub fn reassociation(op: OperationRef) -> Option<Vec<Vec<usize>>> {
    let attr = op.attribute("reassociation").ok()?.to_raw();
    // SAFETY: walking a live array attribute, checking kinds first.
    unsafe {
        if !mlirAttributeIsAArray(attr) {
            return None;
        }
        (0..mlirArrayAttrGetNumElements(attr))
            .map(|i| {
                let group = mlirArrayAttrGetElement(attr, i);
                if !mlirAttributeIsAArray(group) {
                    return None;
                }
                (0..mlirArrayAttrGetNumElements(group))
                    .map(|j| {
                        let index = mlirArrayAttrGetElement(group, j);
                        mlirAttributeIsAInteger(index)
                            .then(|| mlirIntegerAttrGetValueInt(index) as usize)
                    })
                    .collect()
            })
            .collect()
    }
}

/// The `sym_name` of a symbol op (a function, a global); `None` without
/// one.
pub fn symbol_name(op: OperationRef) -> Option<String> {
    let attr = op.attribute("sym_name").ok()?.to_raw();
    // SAFETY: kind checked; the string is copied while the attribute lives.
    unsafe { mlirAttributeIsAString(attr).then(|| string_of(mlirStringAttrGetValue(attr))) }
}

/// True for ops whose `value` is a dense or dense_resource elements attribute.
pub fn has_elements_value(op: OperationRef) -> bool {
    op.attribute("value").is_ok_and(|a| {
        // SAFETY: kind queries on a live attribute.
        unsafe {
            mlirAttributeIsADenseElements(a.to_raw())
                || mlirAttributeIsADenseResourceElements(a.to_raw())
        }
    })
}

/// A statically shaped ranked tensor type, as the layout algebra needs it.
#[derive(Debug, Clone)]
pub struct TensorInfo<'c> {
    pub shape: Vec<i64>,
    pub element_bits: u64,
    pub element: Type<'c>,
    pub has_encoding: bool,
}

/// `Some` for ranked tensors with static shapes; `None` otherwise.
pub fn static_tensor(ty: Type) -> Option<TensorInfo> {
    let raw = ty.to_raw();
    // SAFETY: type queries on a live type.
    unsafe {
        if !mlirTypeIsARankedTensor(raw) || !mlirShapedTypeHasStaticShape(raw) {
            return None;
        }
        let shape = (0..mlirShapedTypeGetRank(raw))
            .map(|i| mlirShapedTypeGetDimSize(raw, i as isize))
            .collect();
        let element = mlirShapedTypeGetElementType(raw);
        let element_bits = if mlirTypeIsAFloat(element) {
            mlirFloatTypeGetWidth(element) as u64
        } else if mlirTypeIsAInteger(element) {
            mlirIntegerTypeGetWidth(element) as u64
        } else {
            64
        };
        let has_encoding = !mlirRankedTensorTypeGetEncoding(raw).ptr.is_null();
        Some(TensorInfo {
            shape,
            element_bits,
            element: Type::from_raw(element),
            has_encoding,
        })
    }
}

/// Whether `ty` is a tensor type (ranked or not).
pub fn is_tensor(ty: Type) -> bool {
    // SAFETY: type query.
    unsafe { mlirTypeIsATensor(ty.to_raw()) }
}

/// Whether `ty` is a memref type.
pub fn is_memref(ty: Type) -> bool {
    // SAFETY: type query.
    unsafe { mlirTypeIsAMemRef(ty.to_raw()) }
}

/// The tensor type of `info` with `layout` as its encoding (no encoding for
/// the plain layout).
pub fn tensor_type<'c>(info: &TensorInfo<'c>, layout: &Layout) -> Type<'c> {
    let encoding = match layout.encoding() {
        None => MlirAttribute {
            ptr: std::ptr::null(),
        },
        // SAFETY: the slices outlive the call; a canonical layout verifies.
        Some((perm, view)) => unsafe {
            ffi::chlastLayoutAttrGetWithView(
                mlirTypeGetContext(info.element.to_raw()),
                perm.len() as isize,
                perm.as_ptr(),
                view.len() as isize,
                view.as_ptr(),
            )
        },
    };
    // SAFETY: shape and element come from a valid tensor type.
    unsafe {
        Type::from_raw(mlirRankedTensorTypeGet(
            info.shape.len() as isize,
            info.shape.as_ptr(),
            info.element.to_raw(),
            encoding,
        ))
    }
}

/// The value of constant `op` re-typed to `ty` (another encoding of its
/// type); `None` when its attribute kind cannot be re-typed.
pub fn retyped_constant<'c>(op: OperationRef<'c, '_>, ty: Type<'c>) -> Option<Attribute<'c>> {
    let value = op.attribute("value").ok()?;
    // SAFETY: live attribute and type; null is checked before wrapping.
    unsafe {
        let raw = ffi::chlastRetypeElementsAttr(value.to_raw(), ty.to_raw());
        (!raw.ptr.is_null()).then(|| Attribute::from_raw(raw))
    }
}

/// A new `chlast.to_layout` of `source` to `ty` (not yet in a block).
pub fn to_layout_op<'c>(
    location: Location<'c>,
    ty: Type<'c>,
    source: Value<'c, '_>,
) -> Operation<'c> {
    // SAFETY: the C++ builder returns a fresh op owned by the caller.
    unsafe {
        Operation::from_raw(ffi::chlastToLayoutOpCreate(
            location.to_raw(),
            ty.to_raw(),
            source.to_raw(),
        ))
    }
}

/// A new `tensor.empty` of type `ty` (not yet in a block).
pub fn empty_tensor_op<'c>(location: Location<'c>, ty: Type<'c>) -> Operation<'c> {
    OperationBuilder::new("tensor.empty", location)
        .add_results(&[ty])
        .build()
        .expect("tensor.empty of a static tensor type is valid")
}

/// A new `arith.constant` of `value` with result type `ty` (not yet in a
/// block).
pub fn constant_op<'c>(
    location: Location<'c>,
    ty: Type<'c>,
    value: Attribute<'c>,
) -> Operation<'c> {
    // SAFETY: the state holds live handles and is consumed by create; the
    // new op is owned by the returned value.
    unsafe {
        let mut state = mlirOperationStateGet(string_ref("arith.constant"), location.to_raw());
        let ty = ty.to_raw();
        mlirOperationStateAddResults(&mut state, 1, &ty);
        let name = mlirIdentifierGet(
            mlirLocationGetContext(location.to_raw()),
            string_ref("value"),
        );
        let attribute = mlirNamedAttributeGet(name, value.to_raw());
        mlirOperationStateAddAttributes(&mut state, 1, &attribute);
        Operation::from_raw(mlirOperationCreate(&mut state))
    }
}

/// Emits a remark at `op`.
pub fn emit_remark(op: OperationRef, message: &str) {
    // SAFETY: live location; the message outlives the call.
    unsafe { ffi::chlastEmitRemark(op.location().to_raw(), string_ref(message)) }
}

/// Emits an error at `op`.
pub fn emit_error(op: OperationRef, message: &str) {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: live location; the message outlives the call.
    unsafe { mlirEmitError(op.location().to_raw(), text.as_ptr()) }
}

/// Makes `value` operand `index` of `op`, which must have that operand (a
/// panic otherwise: an out-of-range index is a bug in the caller).
pub fn set_operand<'c, 'a>(op: OperationRef<'c, 'a>, index: usize, value: Value<'c, 'a>) {
    assert!(index < op.operand_count(), "operand {index} out of range");
    // SAFETY: live op and value; the index is in range.
    unsafe { mlirOperationSetOperand(op.to_raw(), index as isize, value.to_raw()) }
}

/// The value of an `arith.constant` of integer or index type.
pub fn constant_int(value: Value) -> Option<i64> {
    let op = defining_op(value)?;
    if op_class(op) != OpClass::CHLAST_OP_CONSTANT {
        return None;
    }
    int_attribute(op, "value")
}

/// Destroys `op`.
///
/// # Safety
/// No result of `op` may be used, and no handle to `op` may be used after.
pub unsafe fn erase(op: OperationRef) {
    // SAFETY: guaranteed by the caller.
    unsafe { mlirOperationDestroy(op.to_raw()) }
}

/// `Type` of a value (shorthand).
pub fn value_type<'c>(value: Value<'c, '_>) -> Type<'c> {
    value.r#type()
}
