//! Finding the function to run and reading its signature.

use super::{
    RuntimeError,
    tensor::{ElementType, TensorSpec},
};
use melior::ir::{
    AttributeLike, BlockLike, Module, Type, TypeLike,
    operation::{OperationLike, OperationRef},
};
use mlir_sys::*;
use std::fmt;

/// The argument and result types of an entry function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Argument types, in order.
    pub arguments: Vec<TensorSpec>,
    /// Result types, in order.
    pub results: Vec<TensorSpec>,
}

impl fmt::Display for Signature {
    /// `(tensor<1x4xf32>, tensor<4xf32>) -> (tensor<1x4xf32>)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |specs: &[TensorSpec]| {
            specs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "({}) -> ({})",
            list(&self.arguments),
            list(&self.results)
        )
    }
}

/// The names of the public `func.func`s with a body, in order.
pub fn public_functions(module: &Module) -> Vec<String> {
    functions(module)
        .filter(|op| is_public_definition(*op))
        .map(|op| symbol_name(op).unwrap_or_default())
        .collect()
}

/// The entry: `requested` if it names a public function, else the only
/// public function.
pub fn select_entry(
    module: &Module,
    requested: Option<&str>,
    source_name: &str,
) -> Result<String, RuntimeError> {
    let candidates = public_functions(module);
    match requested {
        Some(name) if candidates.iter().any(|c| c == name) => Ok(name.to_string()),
        Some(name) if find_function(module, name).is_some() => Err(RuntimeError::EntryNotPublic {
            name: name.to_string(),
            source_name: source_name.to_string(),
        }),
        Some(name) => Err(RuntimeError::EntryNotFound {
            name: name.to_string(),
            source_name: source_name.to_string(),
            candidates,
        }),
        None => match candidates.len() {
            0 => Err(RuntimeError::NoEntry {
                source_name: source_name.to_string(),
            }),
            1 => Ok(candidates.into_iter().next().expect("one candidate")),
            _ => Err(RuntimeError::AmbiguousEntry {
                source_name: source_name.to_string(),
                candidates,
            }),
        },
    }
}

/// The `func.func` named `name` at the top level of `module`.
pub fn find_function<'c, 'a>(module: &'a Module<'c>, name: &str) -> Option<OperationRef<'c, 'a>> {
    functions(module).find(|op| symbol_name(*op).as_deref() == Some(name))
}

/// The signature of `name`, checking that every argument and result is a
/// statically shaped ranked tensor without encoding of a supported element
/// type.
pub fn signature(module: &Module, name: &str) -> Result<Signature, RuntimeError> {
    let function = find_function(module, name).ok_or_else(|| RuntimeError::EntryNotFound {
        name: name.to_string(),
        source_name: "the module".to_string(),
        candidates: public_functions(module),
    })?;
    let attribute = function
        .attribute("function_type")
        .map_err(|_| RuntimeError::Parse(format!("@{name} has no function_type")))?;
    // SAFETY: `function_type` of a verified func.func is a TypeAttr holding
    // a FunctionType.
    let function_type = unsafe { mlirTypeAttrGetValue(attribute.to_raw()) };
    let spec = |what: String, ty: MlirType| -> Result<TensorSpec, RuntimeError> {
        // SAFETY: `ty` is a live type of the module's context.
        let ty = unsafe { Type::from_raw(ty) };
        tensor_spec(ty).map_err(|problem| match problem {
            Problem::NotStaticTensor => RuntimeError::UnsupportedType {
                function: name.to_string(),
                what,
                ty: ty.to_string(),
            },
            Problem::Element(element) => RuntimeError::UnsupportedElementType {
                function: name.to_string(),
                what,
                element,
                ty: ty.to_string(),
            },
            Problem::TooLarge(bytes) => RuntimeError::TooLarge {
                what: format!("{what} of @{name} ({ty})"),
                bytes,
                available: available_memory(),
            },
        })
    };
    // SAFETY: indices are within the function type's input/result counts.
    unsafe {
        let arguments = (0..mlirFunctionTypeGetNumInputs(function_type))
            .map(|i| {
                spec(
                    format!("argument {i}"),
                    mlirFunctionTypeGetInput(function_type, i),
                )
            })
            .collect::<Result<_, _>>()?;
        let results = (0..mlirFunctionTypeGetNumResults(function_type))
            .map(|i| {
                spec(
                    format!("result {i}"),
                    mlirFunctionTypeGetResult(function_type, i),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Signature { arguments, results })
    }
}

enum Problem {
    NotStaticTensor,
    Element(String),
    /// Bytes the tensor needs (`None`: more than 2^64).
    TooLarge(Option<u64>),
}

/// Bytes of memory available to allocate (`MemAvailable` of
/// `/proc/meminfo` when first asked; `u64::MAX` where that cannot be read).
/// Read once per process: the size check asks for every tensor result of
/// a program.
pub fn available_memory() -> u64 {
    static AVAILABLE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("MemAvailable:"))
                    .and_then(|rest| rest.trim().strip_suffix("kB"))
                    .and_then(|kb| kb.trim().parse::<u64>().ok())
            })
            .map_or(u64::MAX, |kb| kb.saturating_mul(1024))
    })
}

/// Bytes of a tensor of `shape` with `element_bytes` per element, checked
/// against overflow and against the memory available: `Err(bytes)` when
/// it cannot be allocated (`None`: more than 2^64 bytes).
pub fn checked_bytes(shape: &[usize], element_bytes: usize) -> Result<usize, Option<u64>> {
    let bytes = shape
        .iter()
        .try_fold(element_bytes as u64, |n, &d| n.checked_mul(d as u64))
        .ok_or(None)?;
    if bytes > available_memory() || usize::try_from(bytes).is_err() {
        return Err(Some(bytes));
    }
    Ok(bytes as usize)
}

fn tensor_spec(ty: Type) -> Result<TensorSpec, Problem> {
    let raw = ty.to_raw();
    // SAFETY: type queries on a live type; shape queries only on ranked
    // tensors.
    unsafe {
        if !mlirTypeIsARankedTensor(raw)
            || !mlirShapedTypeHasStaticShape(raw)
            || !mlirRankedTensorTypeGetEncoding(raw).ptr.is_null()
        {
            return Err(Problem::NotStaticTensor);
        }
        let element_type = mlirShapedTypeGetElementType(raw);
        let element = element_type_of(element_type)
            .ok_or_else(|| Problem::Element(Type::from_raw(element_type).to_string()))?;
        let shape: Vec<usize> = (0..mlirShapedTypeGetRank(raw))
            .map(|i| mlirShapedTypeGetDimSize(raw, i as isize) as usize)
            .collect();
        checked_bytes(&shape, element.size_bytes()).map_err(Problem::TooLarge)?;
        Ok(TensorSpec { shape, element })
    }
}

/// The supported element type `ty` is, if any.
pub fn element_type_of(ty: MlirType) -> Option<ElementType> {
    // SAFETY: type queries on a live type.
    unsafe {
        if mlirTypeIsAF32(ty) {
            Some(ElementType::F32)
        } else if mlirTypeIsAF16(ty) {
            Some(ElementType::F16)
        } else if mlirTypeIsABF16(ty) {
            Some(ElementType::BF16)
        } else if mlirTypeIsAInteger(ty) && mlirIntegerTypeIsSignless(ty) {
            match mlirIntegerTypeGetWidth(ty) {
                32 => Some(ElementType::I32),
                64 => Some(ElementType::I64),
                _ => None,
            }
        } else {
            None
        }
    }
}

fn functions<'c, 'a>(module: &'a Module<'c>) -> impl Iterator<Item = OperationRef<'c, 'a>> {
    std::iter::successors(module.body().first_operation(), |op| op.next_in_block())
        .filter(|op| op.name().as_string_ref().as_str() == Ok("func.func"))
}

fn is_public_definition(op: OperationRef) -> bool {
    let public = match op.attribute("sym_visibility") {
        // SAFETY: `sym_visibility` is a StringAttr.
        Ok(attribute) => {
            let text = unsafe { string_of(mlirStringAttrGetValue(attribute.to_raw())) };
            text == "public"
        }
        Err(_) => true,
    };
    // SAFETY: func.func has one region; a declaration's is empty.
    let has_body = unsafe {
        !mlirRegionGetFirstBlock(mlirOperationGetRegion(op.to_raw(), 0))
            .ptr
            .is_null()
    };
    public && has_body
}

pub(crate) use crate::ir::string_of;
use crate::ir::symbol_name;

/// Checks that `inputs` match the arguments of `function` in number and
/// type.
pub fn check_inputs(
    function: &str,
    signature: &Signature,
    inputs: &[super::tensor::Tensor],
) -> Result<(), RuntimeError> {
    if inputs.len() != signature.arguments.len() {
        return Err(RuntimeError::InputCount {
            function: function.to_string(),
            expected: signature.arguments.len(),
            given: inputs.len(),
        });
    }
    for (index, (input, expected)) in inputs.iter().zip(&signature.arguments).enumerate() {
        let given = input.spec();
        if &given != expected || input.data.len() != expected.len() {
            return Err(RuntimeError::InputMismatch {
                function: function.to_string(),
                index,
                origin: None,
                expected: expected.to_string(),
                given: given.to_string(),
            });
        }
    }
    Ok(())
}
