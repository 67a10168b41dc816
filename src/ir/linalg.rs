//! LinalgOp facts for the passes: loop counts, indexing maps, and upstream's
//! convolution dims.

use crate::ffi;
use melior::ir::OperationRef;
use mlir_sys::*;

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

/// A LinalgOp (an op implementing the interface), with the facts the passes
/// read from it.
#[derive(Clone, Copy)]
pub struct LinalgOp<'c, 'a>(OperationRef<'c, 'a>);

/// The loop dims of a convolution by role, as upstream's
/// `linalg::inferConvolutionDims` finds them (the cuDNN lowering uses the
/// same function, so both sides agree by construction).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConvolutionDims {
    pub batch: Vec<usize>,
    pub output_image: Vec<usize>,
    pub output_channel: Vec<usize>,
    pub filter_loop: Vec<usize>,
    pub input_channel: Vec<usize>,
    /// Dims in the image, filter and result (groups, depthwise channels).
    pub depth: Vec<usize>,
}

impl<'c, 'a> LinalgOp<'c, 'a> {
    /// `Some` when `op` implements the LinalgOp interface.
    pub fn new(op: OperationRef<'c, 'a>) -> Option<Self> {
        // SAFETY: interface query on a live op.
        unsafe { ffi::chlastIsLinalgOp(op.to_raw()) }.then_some(LinalgOp(op))
    }

    /// The op itself.
    pub fn op(self) -> OperationRef<'c, 'a> {
        self.0
    }

    /// Number of loops.
    pub fn num_loops(self) -> usize {
        // SAFETY: `self.0` is a live LinalgOp.
        unsafe { ffi::chlastLinalgGetNumLoops(self.0.to_raw()) as usize }
    }

    /// Number of DPS inputs.
    pub fn num_inputs(self) -> usize {
        // SAFETY: `self.0` is a live LinalgOp.
        unsafe { ffi::chlastLinalgGetNumDpsInputs(self.0.to_raw()) as usize }
    }

    /// The indexing maps, one per operand.
    pub fn indexing_maps(self) -> Option<Vec<Vec<MapExpr>>> {
        // SAFETY: the op is a LinalgOp; attribute kinds are checked before
        // their accessors are called.
        unsafe {
            let maps = mlirLinalgGetIndexingMapsAttribute(self.0.to_raw());
            if maps.ptr.is_null() || !mlirAttributeIsAArray(maps) {
                return None;
            }
            let mut out = Vec::new();
            for i in 0..mlirArrayAttrGetNumElements(maps) {
                let element = mlirArrayAttrGetElement(maps, i);
                if !mlirAttributeIsAAffineMap(element) {
                    return None;
                }
                let map = mlirAffineMapAttrGetValue(element);
                let num_dims = mlirAffineMapGetNumDims(map) as usize;
                let exprs = (0..mlirAffineMapGetNumResults(map))
                    .map(|r| {
                        let expr = mlirAffineMapGetResult(map, r);
                        if mlirAffineExprIsADim(expr) {
                            MapExpr::Dim(mlirAffineDimExprGetPosition(expr) as usize)
                        } else if mlirAffineExprIsAConstant(expr) {
                            MapExpr::Constant(mlirAffineConstantExprGetValue(expr))
                        } else {
                            MapExpr::Compound(
                                (0..num_dims)
                                    .filter(|&d| mlirAffineExprIsFunctionOfDim(expr, d as isize))
                                    .collect(),
                            )
                        }
                    })
                    .collect();
                out.push(exprs);
            }
            Some(out)
        }
    }

    /// The conv's loop dims by role; `None` when upstream does not
    /// recognise the op as a convolution.
    pub fn convolution_dims(self) -> Option<ConvolutionDims> {
        // SAFETY: the op is a LinalgOp; null attributes (not a conv) are
        // checked before reading; the dims are dense i32 arrays.
        unsafe {
            let dims = mlirLinalgInferConvolutionDimensions(self.0.to_raw());
            let read = |attr: MlirAttribute| -> Option<Vec<usize>> {
                if attr.ptr.is_null() || !mlirAttributeIsADenseI32Array(attr) {
                    return None;
                }
                Some(
                    (0..mlirDenseArrayGetNumElements(attr))
                        .map(|i| mlirDenseI32ArrayGetElement(attr, i) as usize)
                        .collect(),
                )
            };
            Some(ConvolutionDims {
                batch: read(dims.batch)?,
                output_image: read(dims.outputImage)?,
                output_channel: read(dims.outputChannel)?,
                filter_loop: read(dims.filterLoop)?,
                input_channel: read(dims.inputChannel)?,
                depth: read(dims.depth)?,
            })
        }
    }
}
