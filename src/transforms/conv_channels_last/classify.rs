//! What each top-level op of a function is to the pass ([`Kind`]) and which
//! of its operands and results are tensors it lays out ([`Port`]s), plus the
//! channels-last layouts of a conv's image, filter and result, derived from
//! upstream's convolution dims.

use super::stats::{FunctionStats, SkipReason, report_skipped_conv};
use crate::{
    ir::{
        self, LinalgOp, MapExpr, OpClass, OperationLike, OperationRef, TensorInfo, Value, ValueKey,
    },
    layout::{self, Layout, MapResult},
};

/// How an op's tensor ports relate to the op's layout ("state").
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// A convolution with the channels-last layouts of its image, filter and
    /// result ports.
    /// `seed` is false for pooling: a window op that follows layouts but
    /// does not pull toward channels-last (cuDNN has no conv to gain there).
    Conv {
        layouts: Vec<Layout>,
        saving: u64,
        seed: bool,
    },
    /// A LinalgOp whose maps are all projected permutations: the state is a
    /// layout of its loops.
    Linalg { loops: Vec<i64> },
    /// Pad, concat, slices: all ports share the state's order.
    SameOrder,
    /// `tensor.expand_shape`: state is the result layout.
    Expand(Vec<Vec<usize>>),
    /// `tensor.collapse_shape`: state is the result layout.
    Collapse(Vec<Vec<usize>>),
    /// `tensor.empty`: free to create in any layout.
    Empty,
    /// A tensor `arith.constant`: converted at compile time.
    Constant,
    /// `linalg.fill` of a `tensor.empty`: re-created in any layout for free.
    Fill,
    /// Anything else: needs and produces the original layout.
    Opaque,
}

/// Where a port of an op sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PortSite<'c, 'a> {
    /// Operand `index` of the op itself.
    Operand(usize),
    /// Result `index`.
    Result(usize),
    /// Operand `index` of an op nested in the op's region.
    Nested(OperationRef<'c, 'a>, usize),
}

/// A tensor operand or result of an op (or a tensor a nested op reads).
#[derive(Debug, Clone)]
pub(super) struct Port<'c, 'a> {
    pub site: PortSite<'c, 'a>,
    /// Index into the function's value table.
    pub value: usize,
    /// For Linalg ops: the indexing map of this port; `None` when the port
    /// cannot follow the op's layout (it then needs the original layout).
    pub map: Option<Vec<MapResult>>,
    /// The use reads its value by logical coordinates (`tensor.extract`), so
    /// any layout serves it: it never needs a conversion.
    pub any_layout: bool,
}

impl<'c, 'a> Port<'c, 'a> {
    fn new(site: PortSite<'c, 'a>, value: usize, map: Option<Vec<MapResult>>) -> Self {
        let any_layout = match site {
            PortSite::Nested(op, index) => {
                index == 0 && ir::op_class(op) == OpClass::CHLAST_OP_EXTRACT
            }
            _ => false,
        };
        Port {
            site,
            value,
            map,
            any_layout,
        }
    }
}

/// A classified top-level op.
#[derive(Debug, Clone)]
pub(super) struct OpInfo<'c, 'a> {
    pub op: OperationRef<'c, 'a>,
    pub kind: Kind,
    pub ports: Vec<Port<'c, 'a>>,
}

/// A static tensor value of the function.
#[derive(Clone)]
pub(super) struct ValueInfo<'c, 'a> {
    pub value: Value<'c, 'a>,
    pub tensor: TensorInfo<'c>,
    /// Defining op index; `None` for block arguments.
    pub def: Option<usize>,
    /// `(op index, port index)` of every use.
    pub uses: Vec<(usize, usize)>,
}

/// Whether ops of `class` implement the LinalgOp interface.
fn is_linalg(class: OpClass) -> bool {
    matches!(
        class,
        OpClass::CHLAST_OP_LINALG | OpClass::CHLAST_OP_CONVOLUTION | OpClass::CHLAST_OP_FILL
    )
}

/// Convs that could not even be proposed a layout (dynamic shapes), already
/// remarked on during classification, are counted here.
/// So are convs nested in the regions of other ops (loops, conditionals),
/// which the pass does not lay out.
pub(super) fn count_unconvertible_convs(ops: &[OpInfo], stats: &mut FunctionStats) -> usize {
    let mut count = 0;
    for info in ops {
        if let Kind::Opaque = info.kind
            && let Some(reason) = unconvertible_conv_reason(info.op)
        {
            report_skipped_conv(info.op, reason, stats);
            count += 1;
        }
        if is_linalg(ir::op_class(info.op)) {
            continue;
        }
        for inner in ir::nested_ops(info.op) {
            if ir::op_class(inner) == OpClass::CHLAST_OP_CONVOLUTION {
                report_skipped_conv(inner, SkipReason::Nested(ir::op_name(info.op)), stats);
                count += 1;
            }
        }
    }
    count
}

fn unconvertible_conv_reason(op: OperationRef) -> Option<SkipReason> {
    if ir::op_class(op) != OpClass::CHLAST_OP_CONVOLUTION {
        return None;
    }
    let operands = ir::operands(op);
    if operands.iter().any(|&v| ir::is_memref(ir::value_type(v))) {
        return Some(SkipReason::Memref);
    }
    let tensors: Vec<_> = operands
        .iter()
        .filter(|&&v| ir::is_tensor(ir::value_type(v)))
        .map(|&v| ir::static_tensor(ir::value_type(v)))
        .collect();
    if tensors.iter().any(Option::is_none) {
        return Some(SkipReason::DynamicShape);
    }
    if tensors.iter().flatten().any(|t| t.shape.contains(&0)) {
        return Some(SkipReason::ZeroSize);
    }
    conv_layouts(op).err()
}

/// A function whose body has several blocks: its convs are reported, not
/// converted (layouts are only assigned within one block).
pub(super) fn skip_multi_block(func: OperationRef) -> FunctionStats {
    let mut stats = FunctionStats {
        function: ir::symbol_name(func).unwrap_or_default(),
        ..Default::default()
    };
    for op in ir::nested_ops(func) {
        if ir::op_class(op) == OpClass::CHLAST_OP_CONVOLUTION
            && conv_layouts(op).is_ok_and(|(_, _, seed)| seed)
        {
            stats.convs_found += 1;
            report_skipped_conv(op, SkipReason::MultiBlock, &mut stats);
        }
    }
    stats
}

/// Interns a tensor value (with its defining op index) into the value table.
pub(super) type Intern<'f, 'c, 'a> =
    dyn FnMut(Value<'c, 'a>, Option<usize>, &mut Vec<ValueInfo<'c, 'a>>) -> Option<usize> + 'f;

/// A tensor read by an op nested in another: `(nested op, operand, value)`.
type Capture<'c, 'a> = (OperationRef<'c, 'a>, usize, usize);

/// Classifies `op` (at index `index`) and lists its tensor ports.
pub(super) fn classify<'c, 'a>(
    op: OperationRef<'c, 'a>,
    index: usize,
    intern: &mut Intern<'_, 'c, 'a>,
    values: &mut Vec<ValueInfo<'c, 'a>>,
) -> (Kind, Vec<Port<'c, 'a>>) {
    let class = ir::op_class(op);
    let mut ports = Vec::new();
    let mut all_static = true;
    for (i, v) in ir::operands(op).into_iter().enumerate() {
        if !ir::is_tensor(ir::value_type(v)) {
            continue;
        }
        match intern(v, None, values) {
            Some(value) => ports.push(Port::new(PortSite::Operand(i), value, None)),
            None => all_static = false,
        }
    }
    for (i, v) in ir::results(op).into_iter().enumerate() {
        if !ir::is_tensor(ir::value_type(v)) {
            continue;
        }
        match intern(v, Some(index), values) {
            Some(value) => ports.push(Port::new(PortSite::Result(i), value, None)),
            None => all_static = false,
        }
    }
    // Tensors defined outside and used by nested ops (e.g. gathers).
    let nested = ir::nested_ops(op);
    let inner: std::collections::HashSet<ValueKey> = nested
        .iter()
        .flat_map(|&n| ir::results(n))
        .map(ir::key)
        .collect();
    let mut captured = Vec::new();
    for &n in &nested {
        for (i, v) in ir::operands(n).into_iter().enumerate() {
            if ir::is_tensor(ir::value_type(v))
                && !inner.contains(&ir::key(v))
                && !ir::is_block_argument_inside(v, op)
            {
                match intern(v, None, values) {
                    Some(value) => captured.push((n, i, value)),
                    None => all_static = false,
                }
            }
        }
    }
    if !all_static {
        return (Kind::Opaque, with_opaque_captures(ports, &captured));
    }
    let same_rank = || {
        ports.iter().all(|p| {
            ports
                .iter()
                .all(|q| values[p.value].tensor.shape.len() == values[q.value].tensor.shape.len())
        })
    };
    let kind = match class {
        OpClass::CHLAST_OP_CONSTANT if !ports.is_empty() && ir::has_elements_value(op) => {
            Kind::Constant
        }
        OpClass::CHLAST_OP_EMPTY if ports.len() == 1 => Kind::Empty,
        OpClass::CHLAST_OP_FILL if is_fill_of_empty(op) && ports.len() == 2 => Kind::Fill,
        OpClass::CHLAST_OP_EXTRACT => {
            // Reads by logical coordinates: any layout serves it.
            if let Some(p) = ports.first_mut() {
                p.any_layout = true;
            }
            Kind::Opaque
        }
        OpClass::CHLAST_OP_PAD
        | OpClass::CHLAST_OP_CONCAT
        | OpClass::CHLAST_OP_EXTRACT_SLICE
        | OpClass::CHLAST_OP_INSERT_SLICE
            if same_rank()
                && captured.is_empty()
                && static_sizes(op, class)
                // A padding value computed from the position (the pad's
                // block arguments) is left in the original layout.
                && (class != OpClass::CHLAST_OP_PAD
                    || ir::yields_a_position_independent_value(op)) =>
        {
            Kind::SameOrder
        }
        OpClass::CHLAST_OP_EXPAND_SHAPE if ir::operands(op).len() == 1 => {
            ir::reassociation(op).map_or(Kind::Opaque, Kind::Expand)
        }
        OpClass::CHLAST_OP_COLLAPSE_SHAPE => {
            ir::reassociation(op).map_or(Kind::Opaque, Kind::Collapse)
        }
        _ => match LinalgOp::new(op) {
            Some(linalg) => return classify_linalg(linalg, class, ports, &captured, values),
            None => Kind::Opaque,
        },
    };
    (kind, with_opaque_captures(ports, &captured))
}

/// `ports` plus the tensors captured by nested ops `(op, operand, value)`,
/// as ports that need the original layout (no indexing map).
fn with_opaque_captures<'c, 'a>(
    mut ports: Vec<Port<'c, 'a>>,
    captured: &[Capture<'c, 'a>],
) -> Vec<Port<'c, 'a>> {
    ports.extend(
        captured
            .iter()
            .map(|&(n, i, value)| Port::new(PortSite::Nested(n, i), value, None)),
    );
    ports
}

/// `linalg.fill ins(%scalar) outs(tensor.empty)`.
fn is_fill_of_empty(op: OperationRef) -> bool {
    let operands = ir::operands(op);
    operands.len() == 2
        && !ir::is_tensor(ir::value_type(operands[0]))
        && ir::defining_op(operands[1]).is_some_and(|d| ir::op_class(d) == OpClass::CHLAST_OP_EMPTY)
}

/// Pads and slices with dynamic low/high/offsets/sizes are left alone.
fn static_sizes(op: OperationRef, class: OpClass) -> bool {
    let operands = ir::operands(op);
    let tensor_operands = operands
        .iter()
        .filter(|&&v| ir::is_tensor(ir::value_type(v)))
        .count();
    match class {
        OpClass::CHLAST_OP_PAD => operands.len() == 1,
        OpClass::CHLAST_OP_CONCAT => true,
        _ => operands.len() == tensor_operands,
    }
}

fn classify_linalg<'c, 'a>(
    linalg: LinalgOp<'c, 'a>,
    class: OpClass,
    mut ports: Vec<Port<'c, 'a>>,
    captured: &[Capture<'c, 'a>],
    values: &[ValueInfo<'c, 'a>],
) -> (Kind, Vec<Port<'c, 'a>>) {
    let op = linalg.op();
    if class == OpClass::CHLAST_OP_CONVOLUTION {
        if let Ok((layouts, saving, seed)) = conv_layouts(op)
            && captured.is_empty()
        {
            return (
                Kind::Conv {
                    layouts,
                    saving,
                    seed,
                },
                ports,
            );
        }
        return (Kind::Opaque, with_opaque_captures(ports, captured));
    }
    let Some(maps) = linalg.indexing_maps() else {
        return (Kind::Opaque, with_opaque_captures(ports, captured));
    };
    let num_inputs = linalg.num_inputs();
    if maps.len() != op.operand_count() {
        return (Kind::Opaque, with_opaque_captures(ports, captured));
    }
    let simple = |exprs: &[MapExpr]| -> Option<Vec<MapResult>> {
        exprs
            .iter()
            .map(|e| match e {
                MapExpr::Dim(d) => Some(MapResult::Dim(*d)),
                MapExpr::Constant(0) => Some(MapResult::Zero),
                _ => None,
            })
            .collect()
    };
    let mut loops = vec![0i64; linalg.num_loops()];
    for port in ports.iter_mut() {
        let operand = match port.site {
            PortSite::Operand(i) => i,
            PortSite::Result(r) => num_inputs + r,
            PortSite::Nested(..) => continue,
        };
        let Some(map) = simple(&maps[operand]) else {
            return (Kind::Opaque, with_opaque_captures(ports, captured));
        };
        for (j, r) in map.iter().enumerate() {
            if let MapResult::Dim(d) = r {
                loops[*d] = values[port.value].tensor.shape[j];
            }
        }
        port.map = Some(map);
    }
    if loops.iter().any(|&l| l <= 0) {
        return (Kind::Opaque, with_opaque_captures(ports, captured));
    }
    // A copy (transpose, broadcast, repeat) moves all its data anyway: it
    // reads its input in whatever layout the input has (materialization
    // gives it the matching indexing map), so a conversion there is free.
    if captured.is_empty() && num_inputs == 1 && ir::yields_first_block_argument(op) {
        for port in ports.iter_mut() {
            if matches!(port.site, PortSite::Operand(0)) {
                port.any_layout = true;
            }
        }
    }
    for &(n, i, value) in captured {
        let map = gather_map(n, i, &values[value].tensor.shape);
        ports.push(Port::new(PortSite::Nested(n, i), value, map));
    }
    (Kind::Linalg { loops }, ports)
}

/// For `tensor.extract %t[%i0, ...]` inside a linalg body: source dim `j`
/// follows loop `k` when `%ij` is computed from `linalg.index k` alone, and
/// is a unit dim when `%ij` is the constant 0.
fn gather_map(op: OperationRef, operand: usize, shape: &[i64]) -> Option<Vec<MapResult>> {
    if ir::op_class(op) != OpClass::CHLAST_OP_EXTRACT || operand != 0 {
        return None;
    }
    let indices = &ir::operands(op)[1..];
    let mut seen = Vec::new();
    indices
        .iter()
        .enumerate()
        .map(|(j, &index)| {
            if ir::constant_int(index) == Some(0) && shape[j] == 1 {
                return Some(MapResult::Zero);
            }
            let mut loops = Vec::new();
            index_sources(index, &mut loops, 0)?;
            loops.sort_unstable();
            loops.dedup();
            match loops[..] {
                [k] if !seen.contains(&k) => {
                    seen.push(k);
                    Some(MapResult::Dim(k))
                }
                _ => None,
            }
        })
        .collect()
}

/// The `linalg.index` dims `value` is computed from; `None` if it depends on
/// anything but those and constants (through arith, math and affine.apply
/// ops without memory effects).
fn index_sources(value: Value, loops: &mut Vec<usize>, depth: usize) -> Option<()> {
    if depth > 64 {
        return None;
    }
    let op = ir::defining_op(value)?;
    match ir::op_class(op) {
        OpClass::CHLAST_OP_LINALG_INDEX => {
            loops.push(ir::int_attribute(op, "dim")? as usize);
            Some(())
        }
        OpClass::CHLAST_OP_CONSTANT => Some(()),
        OpClass::CHLAST_OP_PURE_ARITHMETIC => {
            for operand in ir::operands(op) {
                index_sources(operand, loops, depth + 1)?;
            }
            Some(())
        }
        _ => None,
    }
}

/// Channels-last layouts of a conv's image, filter and result, from
/// upstream's convolution dims: batch dims first, spatial dims next, channel
/// dims (input or output channels and groups) last for activations; output
/// channels and groups first, then the filter's window, then input channels
/// for the filter (KRSC). Pooling has no channel dims of its own: of the
/// dims it shares between image and result, the first is the batch and the
/// others are channels. Also returns the bytes that converting saves
/// (cuDNN's hidden conversions of image and result, plus one byte so that
/// ties favour channels-last) and whether the op is a conv (not pooling).
pub(super) fn conv_layouts(op: OperationRef) -> Result<(Vec<Layout>, u64, bool), SkipReason> {
    // A conv with a stride or dilation below 1 (or beyond 32 bits) has no
    // meaning to lay out, and its generic form would carry index constants
    // that do not even print in a parsable form (-2^63).
    for name in ["strides", "dilations"] {
        if ir::int_elements(op, name).is_some_and(|values| {
            values
                .iter()
                .any(|&v| !(1..=i64::from(i32::MAX)).contains(&v))
        }) {
            return Err(SkipReason::MalformedWindow(name));
        }
    }
    let linalg = LinalgOp::new(op).ok_or(SkipReason::UnsupportedForm)?;
    let maps = linalg.indexing_maps().ok_or(SkipReason::UnsupportedForm)?;
    let operands = ir::operands(op);
    if maps.len() != 3 || operands.len() != 3 || linalg.num_inputs() != 2 {
        return Err(SkipReason::UnsupportedForm);
    }
    let tensors: Vec<TensorInfo> = operands
        .iter()
        .map(|&v| ir::static_tensor(ir::value_type(v)))
        .collect::<Option<_>>()
        .ok_or(SkipReason::DynamicShape)?;
    if tensors.iter().any(|t| t.has_encoding) {
        return Err(SkipReason::AlreadyEncoded);
    }
    let dims = linalg
        .convolution_dims()
        .ok_or(SkipReason::UnrecognisedDims)?;
    let (image, filter, output) = (&maps[0], &maps[1], &maps[2]);
    let pooling =
        dims.output_channel.is_empty() && dims.input_channel.is_empty() && dims.depth.is_empty();
    // The batch: for pooling, the first batch dim of the image only.
    let pooling_batch = image.iter().find_map(|e| match e {
        MapExpr::Dim(d) if dims.batch.contains(d) => Some(*d),
        _ => None,
    });
    let is_batch = |d: usize| dims.batch.contains(&d) && (!pooling || Some(d) == pooling_batch);
    let is_channel = |d: usize| {
        dims.input_channel.contains(&d)
            || dims.output_channel.contains(&d)
            || dims.depth.contains(&d)
            || (pooling && dims.batch.contains(&d) && !is_batch(d))
    };
    let activation = |map: &[MapExpr]| {
        let mut batch = Vec::new();
        let mut spatial = Vec::new();
        let mut channel = Vec::new();
        for (j, e) in map.iter().enumerate() {
            match e {
                MapExpr::Dim(d) if is_channel(*d) => channel.push(j),
                MapExpr::Dim(d) if is_batch(*d) => batch.push(j),
                _ => spatial.push(j),
            }
        }
        (batch, spatial, channel)
    };
    let (ib, is, ic) = activation(image);
    let (ob, os, oc) = activation(output);
    if is.is_empty() || os.is_empty() || ic.is_empty() || oc.is_empty() {
        return Err(SkipReason::UnrecognisedDims);
    }
    let image_perm: Vec<usize> = ib.into_iter().chain(is).chain(ic).collect();
    let output_perm: Vec<usize> = ob.into_iter().chain(os).chain(oc).collect();
    if image_perm.iter().enumerate().all(|(i, &p)| i == p)
        && output_perm.iter().enumerate().all(|(i, &p)| i == p)
    {
        return Err(SkipReason::AlreadyChannelsLast);
    }
    let mut leading = Vec::new();
    let mut spatial = Vec::new();
    let mut trailing = Vec::new();
    for (j, e) in filter.iter().enumerate() {
        match e {
            MapExpr::Dim(d) if dims.output_channel.contains(d) || dims.depth.contains(d) => {
                leading.push(j)
            }
            MapExpr::Dim(d) if dims.input_channel.contains(d) => trailing.push(j),
            MapExpr::Dim(_) => spatial.push(j),
            _ => return Err(SkipReason::UnsupportedFilterMap),
        }
    }
    let filter_perm: Vec<usize> = leading.into_iter().chain(spatial).chain(trailing).collect();
    let layouts = [
        (&tensors[0], image_perm),
        (&tensors[1], filter_perm),
        (&tensors[2], output_perm),
    ]
    .into_iter()
    .map(|(t, p)| Layout::permuted(&t.shape, &p).map_err(|_| SkipReason::InconsistentMaps))
    .collect::<Result<Vec<_>, _>>()?;
    let saving = layout::bytes(&tensors[0].shape, tensors[0].element_bits)
        + layout::bytes(&tensors[2].shape, tensors[2].element_bits)
        + 1;
    Ok((layouts, saving, !pooling))
}
