//! `--conv-channels-last`: give convolutions channels-last layouts and
//! propagate them so that conversions remain only where they must.
//!
//! Before:
//! ```mlir
//! %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] { ... } : tensor<1x4x16x16xf32> to tensor<1x4x18x18xf32>
//! %y = linalg.conv_2d_nchw_fchw ins(%p, %w : ...) outs(%b : tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
//! %z = linalg.generic {...} ins(%y : tensor<1x8x16x16xf32>) ...   // SiLU
//! return %z
//! ```
//! After:
//! ```mlir
//! %0 = chlast.to_layout %x : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32, #chlast.layout<nhwc>>
//! %p = tensor.pad %0 ... : tensor<1x4x16x16xf32, #chlast.layout<nhwc>> to tensor<1x4x18x18xf32, #chlast.layout<nhwc>>
//! %w = arith.constant dense<...> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>   // folded, no runtime transpose
//! %y = linalg.conv_2d_nchw_fchw ins(%p, %w : ...) outs(%b : tensor<1x8x16x16xf32, #chlast.layout<nhwc>>) -> ...
//! %z = linalg.generic {...} ins(%y : tensor<1x8x16x16xf32, #chlast.layout<nhwc>>) ...
//! %1 = chlast.to_layout %z : tensor<1x8x16x16xf32, #chlast.layout<nhwc>> -> tensor<1x8x16x16xf32>
//! return %1
//! ```
//!
//! How: (1) every conv proposes channels-last layouts for its image, filter
//! and result; (2) the proposal spreads to every op that can compute in a
//! permuted layout without changing meaning (elementwise, broadcast,
//! reduction and gather `linalg` ops via their indexing maps, pads, concats,
//! slices, and reshapes, whose splits of the channel dim the layout follows);
//! (3) each such op chooses between its proposed and its original layout by
//! a minimum s-t cut that counts the bytes every conversion moves, one
//! conversion per (value, layout), constants and `tensor.empty` free, ties
//! going to conversions at the function's boundary;
//! (4) types get `#chlast.layout` encodings and `chlast.to_layout` goes where
//! a value meets a use in another layout. Uses that read any layout need
//! none: gathers (`tensor.extract`) and the input of a copy (a transpose or
//! broadcast whose body yields its input: a pixel shuffle's reorder), which
//! reads its input through its indexing map in whatever layout it has.
//! Every runtime conversion is reported (stats JSON and, inside the
//! function, a remark) with the op that needs the other layout and why.

use super::ir::{self, MapExpr, TensorInfo, ValueKey};
use crate::{
    ffi,
    layout::{self, Layout, MapResult},
    min_cut::{FlowGraph, INFINITE},
    passes::{ConvChannelsLastOptions, Strategy},
};
use mlir_sys::*;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

/// Statistics of one function, printed as one JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionStats {
    pub function: String,
    pub convs_found: usize,
    pub convs_converted: usize,
    /// `(conv location, reason)`
    pub convs_skipped: Vec<(String, String)>,
    /// Every runtime `chlast.to_layout` inserted, with why it is there.
    pub runtime_conversions: Vec<RuntimeConversion>,
    pub constant_conversions_folded: usize,
}

/// Where a runtime conversion sits in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionSite {
    /// A function argument converted on entry.
    Input,
    /// A value converted back before `func.return`.
    Output,
    /// Between two ops of the function.
    Interior,
}

impl ConversionSite {
    fn as_str(self) -> &'static str {
        match self {
            ConversionSite::Input => "input",
            ConversionSite::Output => "output",
            ConversionSite::Interior => "interior",
        }
    }
}

/// One runtime `chlast.to_layout` and the op that forced it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeConversion {
    /// The converted type (with its target encoding).
    pub ty: String,
    pub bytes: u64,
    pub site: ConversionSite,
    /// The op whose layout differs from the value's (its name).
    pub op: String,
    /// That op's location.
    pub loc: String,
    /// Why that op keeps the other layout.
    pub reason: String,
}

impl FunctionStats {
    /// Bytes moved by all runtime conversions (each read once, written once
    /// counts as its size).
    pub fn runtime_conversion_bytes(&self) -> u64 {
        self.runtime_conversions.iter().map(|c| c.bytes).sum()
    }

    /// The statistics as a single-line JSON object.
    pub fn to_json(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"function\":{},\"convs_found\":{},\"convs_converted\":{},\"convs_skipped\":[",
            quote(&self.function),
            self.convs_found,
            self.convs_converted
        );
        for (i, (loc, reason)) in self.convs_skipped.iter().enumerate() {
            let _ = write!(
                out,
                "{}{{\"conv\":{},\"reason\":{}}}",
                if i > 0 { "," } else { "" },
                quote(loc),
                quote(reason)
            );
        }
        let _ = write!(out, "],\"runtime_conversions\":[");
        for (i, c) in self.runtime_conversions.iter().enumerate() {
            let _ = write!(
                out,
                "{}{{\"type\":{},\"bytes\":{},\"site\":\"{}\",\"op\":{},\"loc\":{},\"reason\":{}}}",
                if i > 0 { "," } else { "" },
                quote(&c.ty),
                c.bytes,
                c.site.as_str(),
                quote(&c.op),
                quote(&c.loc),
                quote(&c.reason)
            );
        }
        let _ = write!(
            out,
            "],\"runtime_conversion_count\":{},\"runtime_conversion_bytes\":{},\"constant_conversions_folded\":{}}}",
            self.runtime_conversions.len(),
            self.runtime_conversion_bytes(),
            self.constant_conversions_folded
        );
        out
    }
}

/// Entry point called by the MLIR pass class (see `dialects/chlast/lib/RustPasses.cpp`).
///
/// # Safety
/// `module` must be a live `builtin.module` and `options` valid.
pub unsafe extern "C" fn run_from_mlir(
    module: MlirOperation,
    options: *const ffi::ChlastConvChannelsLastOptions,
) -> MlirLogicalResult {
    // SAFETY: MLIR passes valid options for the duration of the call.
    let raw = unsafe { &*options };
    let strategy = match ir::string_of(raw.strategy).as_str() {
        "min-cut" => Strategy::MinCut,
        "per-conv" => Strategy::PerConv,
        other => {
            ir::emit_error(
                module,
                &format!(
                    "conv-channels-last: unknown strategy '{other}' (expected 'min-cut' or 'per-conv')"
                ),
            );
            return MlirLogicalResult { value: 0 };
        }
    };
    let stats_file = ir::string_of(raw.stats_file);
    let options = ConvChannelsLastOptions {
        enable: raw.enable,
        max_ops_per_conv: raw.max_ops_per_conv,
        cost_model: raw.cost_model,
        strategy,
        stats_file: (!stats_file.is_empty()).then_some(stats_file),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conv_channels_last(module, &options)
    }));
    let ok = match outcome {
        Ok(Ok(stats)) => match write_stats(&options, &stats) {
            Ok(()) => true,
            Err(message) => {
                ir::emit_error(module, &message);
                false
            }
        },
        Ok(Err(message)) => {
            ir::emit_error(module, &message);
            false
        }
        Err(_) => {
            ir::emit_error(
                module,
                "conv-channels-last: internal error (a bug in chlast; please report it with this input)",
            );
            false
        }
    };
    MlirLogicalResult { value: ok as i8 }
}

fn write_stats(options: &ConvChannelsLastOptions, stats: &[FunctionStats]) -> Result<(), String> {
    let Some(file) = &options.stats_file else {
        return Ok(());
    };
    let text: String = stats.iter().map(|s| s.to_json() + "\n").collect();
    if file == "-" {
        eprint!("{text}");
        Ok(())
    } else {
        std::fs::write(file, text)
            .map_err(|e| format!("conv-channels-last: cannot write statistics to '{file}': {e}"))
    }
}

/// Runs the pass on every `func.func` of `module` and returns the
/// statistics per function.
pub fn conv_channels_last(
    module: MlirOperation,
    options: &ConvChannelsLastOptions,
) -> Result<Vec<FunctionStats>, String> {
    let mut stats = Vec::new();
    if !options.enable {
        return Ok(stats);
    }
    let Some(body) = ir::single_body_block(module) else {
        return Ok(stats);
    };
    for op in ir::block_ops(body) {
        if ir::op_name(op) != "func.func" {
            continue;
        }
        if let Some(block) = ir::single_body_block(op) {
            stats.push(Function::analyze(op, block).run(options));
        } else {
            stats.push(skip_multi_block(op));
        }
    }
    Ok(stats)
}

/// How an op's tensor ports relate to the op's layout ("state").
#[derive(Debug, Clone)]
enum Kind {
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

/// The layouts propagation proposes: a state per op that can follow
/// channels-last, and the layout each of its ports then has (computed once:
/// placement and rewriting read them many times).
struct Proposal {
    states: Vec<Option<Layout>>,
    ports: Vec<Vec<Option<Layout>>>,
}

impl Proposal {
    fn new(function: &Function, states: Vec<Option<Layout>>) -> Self {
        let ports = states
            .iter()
            .enumerate()
            .map(|(o, state)| match state {
                Some(s) => function.ops[o]
                    .ports
                    .iter()
                    .map(|p| function.port_layout(o, p, s))
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        Proposal { states, ports }
    }

    /// The layout of port `p` of op `o` when `o` takes its proposed state.
    fn port(&self, o: usize, p: usize) -> Option<&Layout> {
        self.ports[o].get(p)?.as_ref()
    }

    fn iter(&self) -> std::slice::Iter<'_, Option<Layout>> {
        self.states.iter()
    }
}

impl std::ops::Index<usize> for Proposal {
    type Output = Option<Layout>;
    fn index(&self, o: usize) -> &Option<Layout> {
        &self.states[o]
    }
}

/// Where a port of an op sits.
#[derive(Debug, Clone, Copy)]
enum PortSite {
    /// Operand `index` of the op itself.
    Operand(usize),
    /// Result `index`.
    Result(usize),
    /// Operand `index` of an op nested in the op's region.
    Nested(MlirOperation, usize),
}

impl PartialEq for PortSite {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PortSite::Operand(a), PortSite::Operand(b))
            | (PortSite::Result(a), PortSite::Result(b)) => a == b,
            (PortSite::Nested(x, a), PortSite::Nested(y, b)) => x.ptr == y.ptr && a == b,
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
struct Port {
    site: PortSite,
    value: usize,
    /// For Linalg ops: the indexing map of this port; `None` when the port
    /// cannot follow the op's layout (it then needs the original layout).
    map: Option<Vec<MapResult>>,
    /// The use reads its value by logical coordinates (`tensor.extract`), so
    /// any layout serves it: it never needs a conversion.
    any_layout: bool,
}

impl Port {
    fn new(site: PortSite, value: usize, map: Option<Vec<MapResult>>) -> Self {
        let any_layout = match site {
            PortSite::Nested(op, index) => index == 0 && ir::op_name(op) == "tensor.extract",
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

#[derive(Debug, Clone)]
struct OpInfo {
    op: MlirOperation,
    kind: Kind,
    ports: Vec<Port>,
}

#[derive(Debug, Clone)]
struct ValueInfo {
    value: MlirValue,
    tensor: TensorInfo,
    /// Defining op index; `None` for block arguments.
    def: Option<usize>,
    /// `(op index, port index)` of every use.
    uses: Vec<(usize, usize)>,
}

struct Function {
    func: MlirOperation,
    block: MlirBlock,
    ops: Vec<OpInfo>,
    values: Vec<ValueInfo>,
}

impl Function {
    fn analyze(func: MlirOperation, block: MlirBlock) -> Self {
        let mut values: Vec<ValueInfo> = Vec::new();
        let mut index: HashMap<ValueKey, usize> = HashMap::new();
        let mut intern =
            |value: MlirValue, def: Option<usize>, values: &mut Vec<ValueInfo>| -> Option<usize> {
                if let Some(&i) = index.get(&ir::key(value)) {
                    return Some(i);
                }
                let tensor = ir::static_tensor(ir::value_type(value))?;
                // A tensor with no elements has no layout to choose: the
                // ops that touch it stay as they are.
                if tensor.shape.contains(&0) {
                    return None;
                }
                values.push(ValueInfo {
                    value,
                    tensor,
                    def,
                    uses: Vec::new(),
                });
                index.insert(ir::key(value), values.len() - 1);
                Some(values.len() - 1)
            };
        for arg in ir::block_arguments(block) {
            intern(arg, None, &mut values);
        }
        let mut ops = Vec::new();
        for (i, op) in ir::block_ops(block).into_iter().enumerate() {
            let (kind, ports) = classify(
                op,
                i,
                &mut |v, def, vals: &mut Vec<ValueInfo>| intern(v, def, vals),
                &mut values,
            );
            ops.push(OpInfo { op, kind, ports });
        }
        for (o, info) in ops.iter().enumerate() {
            for (p, port) in info.ports.iter().enumerate() {
                if !matches!(port.site, PortSite::Result(_)) {
                    values[port.value].uses.push((o, p));
                }
            }
        }
        Function {
            func,
            block,
            ops,
            values,
        }
    }

    fn run(&mut self, options: &ConvChannelsLastOptions) -> FunctionStats {
        let mut stats = FunctionStats {
            function: ir::symbol_name(self.func),
            ..Default::default()
        };
        let convs: Vec<usize> = (0..self.ops.len())
            .filter(|&o| matches!(self.ops[o].kind, Kind::Conv { seed: true, .. }))
            .collect();
        stats.convs_found = convs.len() + count_unconvertible_convs(&self.ops, &mut stats);
        if convs.is_empty() {
            return stats;
        }
        let op_count = self.ops.len();
        if options.max_ops_per_conv > 0
            && op_count >= options.max_ops_per_conv as usize * convs.len()
        {
            let reason = format!(
                "function has {op_count} ops for {} convs, at least max-ops-per-conv={} per conv",
                convs.len(),
                options.max_ops_per_conv
            );
            for &c in &convs {
                self.skip(&mut stats, c, &reason);
            }
            return stats;
        }
        let states = self.propagate(&convs, options.strategy);
        let chosen = match options.strategy {
            Strategy::MinCut => self.place(&states, options.cost_model),
            Strategy::PerConv => states.iter().map(Option::is_some).collect(),
        };
        for &c in &convs {
            if chosen[c] {
                stats.convs_converted += 1;
            } else {
                self.skip(&mut stats, c, "converting it would move more bytes in layout conversions at its boundaries than it saves");
            }
        }
        self.apply(&states, &chosen, &mut stats);
        stats
    }

    fn skip(&self, stats: &mut FunctionStats, conv: usize, reason: &str) {
        report_skipped_conv(self.ops[conv].op, reason, stats);
    }

    /// The layout of `port` when its op is in `state`.
    fn port_layout(&self, o: usize, port: &Port, state: &Layout) -> Option<Layout> {
        let shape = &self.values[port.value].tensor.shape;
        match &self.ops[o].kind {
            Kind::Conv { layouts, .. } => match port.site {
                PortSite::Operand(i) => layouts.get(i).cloned(),
                PortSite::Result(_) => layouts.last().cloned(),
                PortSite::Nested(..) => None,
            },
            Kind::Linalg { .. } => state.restrict(port.map.as_ref()?)?.resized(shape),
            Kind::SameOrder => state.resized(shape),
            Kind::Expand(reassociation) => match port.site {
                PortSite::Result(_) => Some(state.clone()),
                _ => state.collapse(reassociation, shape),
            },
            Kind::Collapse(reassociation) => match port.site {
                PortSite::Result(_) => Some(state.clone()),
                _ => state.expand(reassociation, shape),
            },
            Kind::Empty | Kind::Constant | Kind::Fill | Kind::Opaque => None,
        }
    }

    /// The op's state implied by `port` having `layout`.
    fn state_from_port(&self, o: usize, port: &Port, layout: &Layout) -> Option<Layout> {
        let result_shape = || {
            let r = self.ops[o]
                .ports
                .iter()
                .find(|p| matches!(p.site, PortSite::Result(_)))?;
            Some(self.values[r.value].tensor.shape.clone())
        };
        let state = match &self.ops[o].kind {
            Kind::Linalg { loops } => {
                if matches!(port.site, PortSite::Nested(..)) {
                    return None;
                }
                layout.lift(port.map.as_ref()?, loops)?
            }
            Kind::SameOrder => layout.resized(&result_shape()?)?,
            Kind::Expand(reassociation) => match port.site {
                PortSite::Result(_) => layout.clone(),
                _ => layout.expand(reassociation, &result_shape()?)?,
            },
            Kind::Collapse(reassociation) => match port.site {
                PortSite::Result(_) => layout.clone(),
                _ => layout.collapse(reassociation, &result_shape()?)?,
            },
            // A window op (pooling) follows the layout of any port.
            Kind::Conv { seed: false, .. } => {
                let state = Layout::plain(&[]);
                return (self.port_layout(o, port, &state).as_ref() == Some(layout))
                    .then_some(state);
            }
            _ => return None,
        };
        // The state must give every port a layout, and this one the same.
        let consistent = self.ops[o].ports.iter().all(|p| {
            p.map.is_none() && matches!(self.ops[o].kind, Kind::Linalg { .. })
                || self.port_layout(o, p, &state).is_some()
        });
        (consistent && self.port_layout(o, port, &state).as_ref() == Some(layout)).then_some(state)
    }

    /// Spreads the convs' channels-last layouts to every op that can follow.
    fn propagate(&self, convs: &[usize], strategy: Strategy) -> Proposal {
        let mut states: Vec<Option<Layout>> = vec![None; self.ops.len()];
        let mut queue = VecDeque::new();
        for &c in convs {
            states[c] = Some(Layout::plain(&[]));
            queue.push_back(c);
        }
        if strategy == Strategy::PerConv {
            // The seed converts input, filter and result; a bias broadcast
            // (or fill) producing the conv's init goes with the conv, as a
            // framework passes the bias to cuDNN separately.
            for &c in convs {
                for port in &self.ops[c].ports {
                    if !matches!(port.site, PortSite::Operand(2)) {
                        continue;
                    }
                    let Some(d) = self.values[port.value].def else {
                        continue;
                    };
                    let Some(layout) = self.port_layout(c, port, &Layout::plain(&[])) else {
                        continue;
                    };
                    let init_bytes = self.bytes(port.value);
                    // Its inputs are smaller than the init (a broadcast) or empty.
                    let broadcast = self.ops[d]
                        .ports
                        .iter()
                        .filter(|q| matches!(q.site, PortSite::Operand(_)))
                        .all(|q| {
                            self.bytes(q.value) < init_bytes
                                || self.values[q.value]
                                    .def
                                    .is_some_and(|e| matches!(self.ops[e].kind, Kind::Empty))
                        });
                    if states[d].is_none()
                        && broadcast
                        && let Some(r) = self.result_port(d, port.value)
                    {
                        states[d] = self.state_from_port(d, &self.ops[d].ports[r], &layout);
                    }
                }
            }
            return Proposal::new(self, states);
        }
        while let Some(o) = queue.pop_front() {
            let state = states[o].clone().expect("queued ops have states");
            for port in &self.ops[o].ports {
                // A use that reads any layout neither asks for one nor
                // decides its op's layout.
                if port.any_layout {
                    continue;
                }
                let Some(layout) = self.port_layout(o, port, &state) else {
                    continue;
                };
                let value = &self.values[port.value];
                let neighbours = value
                    .def
                    .map(|d| (d, self.result_port(d, port.value)))
                    .into_iter()
                    .chain(value.uses.iter().map(|&(u, p)| (u, Some(p))));
                for (n, p) in neighbours {
                    let Some(p) = p else { continue };
                    if states[n].is_some() || self.ops[n].ports[p].any_layout {
                        continue;
                    }
                    if let Some(s) = self.state_from_port(n, &self.ops[n].ports[p], &layout) {
                        states[n] = Some(s);
                        queue.push_back(n);
                    }
                }
            }
        }
        Proposal::new(self, states)
    }

    fn result_port(&self, o: usize, value: usize) -> Option<usize> {
        self.ops[o]
            .ports
            .iter()
            .position(|p| matches!(p.site, PortSite::Result(_)) && p.value == value)
    }

    /// Layout of value `v` when its defining op is in channels-last.
    fn def_layout(&self, states: &Proposal, v: usize) -> Option<Layout> {
        let d = self.values[v].def?;
        states.port(d, self.result_port(d, v)?).cloned()
    }

    fn bytes(&self, v: usize) -> u64 {
        layout::bytes(
            &self.values[v].tensor.shape,
            self.values[v].tensor.element_bits,
        )
    }

    fn conversion_cost(&self, v: usize) -> u64 {
        match self.values[v].def.map(|d| &self.ops[d].kind) {
            Some(Kind::Constant) | Some(Kind::Empty) | Some(Kind::Fill) => 0,
            _ => layout::bytes(
                &self.values[v].tensor.shape,
                self.values[v].tensor.element_bits,
            ),
        }
    }

    /// Chooses, per op with a proposed layout, whether it takes it: a
    /// minimum cut of the bytes moved by conversions (see module docs).
    /// Among placements that move the same bytes, the one with the fewest
    /// conversions inside the function wins: every capacity is bytes times
    /// `scale` (more than the number of conversion edges), plus 1 for an
    /// edge that stands for an interior conversion, so the tie-break never
    /// outweighs a byte.
    fn place(&self, states: &Proposal, cost_model: bool) -> Vec<bool> {
        const SOURCE: usize = 0;
        const SINK: usize = 1;
        let scale = 1 + self
            .values
            .iter()
            .map(|v| 2 + v.uses.len() as u64)
            .sum::<u64>();
        let weight = |bytes: u64, interior: bool| bytes * scale + u64::from(interior);
        let mut graph = FlowGraph::new(2);
        let node: Vec<Option<usize>> = states
            .iter()
            .map(|s| s.as_ref().map(|_| graph.add_node()))
            .collect();
        for (o, info) in self.ops.iter().enumerate() {
            if let (
                Some(n),
                Kind::Conv {
                    saving, seed: true, ..
                },
            ) = (node[o], &info.kind)
            {
                graph.add_edge(
                    SOURCE,
                    n,
                    if cost_model {
                        weight(*saving, false)
                    } else {
                        INFINITE
                    },
                );
            }
        }
        for v in 0..self.values.len() {
            let cost = self.conversion_cost(v);
            if cost == 0 {
                continue;
            }
            let def_node = self.values[v].def.and_then(|d| node[d]);
            let def_cl = self.def_layout(states, v).filter(|l| !l.is_plain());
            let mut ties = Vec::new();
            let mut plain_when_original = Vec::new();
            let mut needs_plain = false;
            // Whether a plain use other than `func.return` exists.
            let mut interior_plain = false;
            // Uses needing a layout other than what the def offers, per layout.
            let mut wants: HashMap<Layout, Vec<usize>> = HashMap::new();
            for &(u, p) in &self.values[v].uses {
                if self.ops[u].ports[p].any_layout {
                    continue;
                }
                let required = node[u].and_then(|_| states.port(u, p).cloned());
                match (node[u], required) {
                    (Some(_), Some(req)) if req.is_plain() => {
                        needs_plain = true;
                        interior_plain = true;
                    }
                    (Some(un), Some(req))
                        if def_node.is_some() && def_cl.as_ref() == Some(&req) =>
                    {
                        ties.push(un)
                    }
                    (Some(un), Some(req)) => {
                        // Needs `req` when channels-last, plain otherwise.
                        plain_when_original.push(un);
                        wants.entry(req).or_default().push(un)
                    }
                    _ => {
                        needs_plain = true;
                        interior_plain |= ir::op_name(self.ops[u].op) != "func.return";
                    }
                }
            }
            let is_argument = self.values[v].def.is_none();
            match def_node {
                Some(d) if def_cl.is_some() => {
                    // Defined in channels-last when d is on the source side.
                    // Conversion back to plain: paid when d is channels-last and
                    // some user computes in the original layout.
                    if needs_plain || !ties.is_empty() || !plain_when_original.is_empty() {
                        let a = graph.add_node();
                        let interior =
                            interior_plain || !ties.is_empty() || !plain_when_original.is_empty();
                        graph.add_edge(d, a, weight(cost, interior));
                        for &u in ties.iter().chain(&plain_when_original) {
                            graph.add_edge(a, u, INFINITE);
                        }
                        if needs_plain {
                            graph.add_edge(a, SINK, INFINITE);
                        }
                    }
                    if !ties.is_empty() {
                        let b = graph.add_node();
                        for &u in &ties {
                            graph.add_edge(u, b, INFINITE);
                        }
                        graph.add_edge(b, d, weight(cost, true));
                    }
                }
                _ => {}
            }
            // Other layouts: one conversion per layout, paid when any user
            // wanting it computes in channels-last.
            for users in wants.into_values() {
                let b = graph.add_node();
                for &u in &users {
                    graph.add_edge(u, b, INFINITE);
                }
                graph.add_edge(b, SINK, weight(cost, !is_argument));
            }
        }
        let cut = graph.min_cut(SOURCE, SINK);
        node.iter()
            .map(|n| n.is_some_and(|n| cut.source_side[n]))
            .collect()
    }

    /// The layout each value is defined in under the choice `chosen`.
    fn actual_layouts(&self, states: &Proposal, chosen: &[bool]) -> Vec<Layout> {
        (0..self.values.len())
            .map(|v| {
                let def_chosen = self.values[v].def.is_some_and(|d| chosen[d]);
                let cl = if def_chosen {
                    self.def_layout(states, v)
                } else {
                    None
                };
                cl.unwrap_or_else(|| Layout::plain(&self.values[v].tensor.shape))
            })
            .collect()
    }

    /// The layout use `p` of op `u` needs under `chosen`; `None` when any
    /// layout serves it.
    fn required_layout(
        &self,
        states: &Proposal,
        chosen: &[bool],
        u: usize,
        p: usize,
    ) -> Option<Layout> {
        let port = &self.ops[u].ports[p];
        if port.any_layout {
            return None;
        }
        let required = if chosen[u] {
            states.port(u, p).cloned()
        } else {
            None
        };
        Some(required.unwrap_or_else(|| Layout::plain(&self.values[port.value].tensor.shape)))
    }

    /// What `place` minimises, computed directly from a choice: bytes of the
    /// conversions `apply` would insert (one per value and layout; constants,
    /// empties and fills free) plus, for every conv left in its original
    /// layout, the hidden conversions it keeps paying.
    #[cfg(test)]
    fn placement_cost(&self, states: &Proposal, chosen: &[bool], cost_model: bool) -> u64 {
        let actual = self.actual_layouts(states, chosen);
        let mut conversions = std::collections::HashSet::new();
        let mut total = 0;
        for (v, current) in actual.iter().enumerate() {
            for &(u, p) in &self.values[v].uses {
                if let Some(required) = self.required_layout(states, chosen, u, p)
                    && &required != current
                    && conversions.insert((v, required))
                {
                    total += self.conversion_cost(v);
                }
            }
        }
        for (o, info) in self.ops.iter().enumerate() {
            if let Kind::Conv {
                saving, seed: true, ..
            } = info.kind
                && states[o].is_some()
                && !chosen[o]
            {
                total += if cost_model { saving } else { INFINITE };
            }
        }
        total
    }

    /// Rewrites types and inserts conversions for the chosen layouts.
    fn apply(&mut self, states: &Proposal, chosen: &[bool], stats: &mut FunctionStats) {
        let context = ir::context_of(self.func);
        // 1. The layout every value is defined in.
        let actual = self.actual_layouts(states, chosen);
        for (v, layout) in actual.iter().enumerate() {
            if !layout.is_plain() {
                ir::set_type(
                    self.values[v].value,
                    ir::tensor_type(context, &self.values[v].tensor, layout),
                );
            }
        }
        // 2. Conversions where a use needs another layout.
        let mut conversions: HashMap<(usize, Layout), MlirValue> = HashMap::new();
        let mut touched_defs = Vec::new();
        for (v, current) in actual.iter().enumerate() {
            for &(u, p) in &self.values[v].uses.clone() {
                let port = &self.ops[u].ports[p];
                let Some(required) = self.required_layout(states, chosen, u, p) else {
                    continue;
                };
                if &required == current {
                    continue;
                }
                let converted = *conversions.entry((v, required.clone())).or_insert_with(|| {
                    touched_defs.push(v);
                    let why = || self.why_converted(states, chosen, v, u);
                    self.convert(context, v, &required, why, stats)
                });
                match port.site {
                    PortSite::Operand(i) => ir::set_operand(self.ops[u].op, i, converted),
                    PortSite::Nested(op, i) => ir::set_operand(op, i, converted),
                    PortSite::Result(_) => unreachable!("uses are operands"),
                }
            }
        }
        // 3. Constants and empties that only fed conversions are gone.
        for v in touched_defs {
            if let Some(d) = self.values[v].def
                && matches!(self.ops[d].kind, Kind::Constant | Kind::Empty | Kind::Fill)
                && !ir::has_uses(self.values[v].value)
            {
                ir::erase(self.ops[d].op);
            }
        }
    }

    /// Why value `v` needs a conversion for its use by op `u`: where it sits,
    /// the op that keeps the other layout, and that op's reason.
    fn why_converted(
        &self,
        states: &Proposal,
        chosen: &[bool],
        v: usize,
        u: usize,
    ) -> (ConversionSite, MlirOperation, String) {
        let user = self.ops[u].op;
        let Some(d) = self.values[v].def else {
            return (
                ConversionSite::Input,
                user,
                "function arguments arrive in their original layout".into(),
            );
        };
        if ir::op_name(user) == "func.return" {
            return (
                ConversionSite::Output,
                user,
                "the function returns its original layout".into(),
            );
        }
        // The side in the original layout is the one that forced it.
        let forcing = if chosen[u] { d } else { u };
        let reason = match (&self.ops[forcing].kind, &states[forcing]) {
            (Kind::Opaque, _) => "chlast cannot compute this op in a permuted layout".to_string(),
            (_, None) => {
                "no channels-last layout reached this op that all its operands and results can follow"
                    .to_string()
            }
            (_, Some(_)) if !chosen[forcing] => {
                "the minimum cut keeps this op in its original layout (converting around it would move more bytes)"
                    .to_string()
            }
            _ => format!(
                "its result feeds {}, which computes in another permuted order \
                 (reshapes between them move data between channels and space or time)",
                ir::op_name(user)
            ),
        };
        (ConversionSite::Interior, self.ops[forcing].op, reason)
    }

    /// A value equal to value `v` in layout `to`: a re-typed constant or
    /// empty tensor, or a `chlast.to_layout` right after the definition.
    fn convert(
        &self,
        context: MlirContext,
        v: usize,
        to: &Layout,
        why: impl FnOnce() -> (ConversionSite, MlirOperation, String),
        stats: &mut FunctionStats,
    ) -> MlirValue {
        let value = &self.values[v];
        let ty = ir::tensor_type(context, &value.tensor, to);
        let def_op = value.def.map(|d| self.ops[d].op);
        let location = def_op
            .map(ir::location)
            .unwrap_or_else(|| ir::location(self.func));
        let kind = value.def.map(|d| &self.ops[d].kind);
        let new_empty = |after| {
            ir::create_after(
                context,
                self.block,
                Some(after),
                location,
                "tensor.empty",
                &[],
                ty,
                &[],
            )
        };
        let created = match (kind, def_op) {
            (Some(Kind::Constant), Some(def)) if !retyped_constant(def, ty).ptr.is_null() => {
                let retyped = retyped_constant(def, ty);
                stats.constant_conversions_folded += 1;
                ir::create_after(
                    context,
                    self.block,
                    Some(def),
                    location,
                    "arith.constant",
                    &[],
                    ty,
                    &[("value", retyped)],
                )
            }
            (Some(Kind::Fill), Some(def)) => {
                // A fresh fill of a fresh empty tensor in the new layout.
                let empty = new_empty(def);
                let fill = ir::clone_after(def, empty);
                ir::set_operand(fill, 1, ir::results(empty)[0]);
                ir::set_type(ir::results(fill)[0], ty);
                fill
            }
            (Some(Kind::Empty), Some(def)) => new_empty(def),
            _ => {
                let (site, op, reason) = why();
                let bytes = layout::bytes(&value.tensor.shape, value.tensor.element_bits);
                if site == ConversionSite::Interior {
                    ir::emit_remark(
                        op,
                        &format!(
                            "conv-channels-last: layout conversion of {bytes} bytes here: {reason}"
                        ),
                    );
                }
                stats.runtime_conversions.push(RuntimeConversion {
                    ty: ir::type_string(ty),
                    bytes,
                    site,
                    op: ir::op_name(op),
                    loc: ir::location_string(op),
                    reason,
                });
                ir::create_after(
                    context,
                    self.block,
                    def_op,
                    location,
                    "chlast.to_layout",
                    &[value.value],
                    ty,
                    &[],
                )
            }
        };
        ir::results(created)[0]
    }
}

/// The value of constant `def` re-typed to `ty`; null when the attribute
/// kind cannot be re-typed (then the conversion happens at run time).
fn retyped_constant(def: MlirOperation, ty: MlirType) -> MlirAttribute {
    match ir::attribute(def, "value") {
        // SAFETY: `attr` is live; `ty` differs from its type only by encoding.
        Some(attr) => unsafe { ffi::chlastRetypeElementsAttr(attr, ty) },
        None => MlirAttribute {
            ptr: std::ptr::null(),
        },
    }
}

/// Reports `conv` as left in its original layout: a remark at the op and an
/// entry in the statistics.
fn report_skipped_conv(conv: MlirOperation, reason: &str, stats: &mut FunctionStats) {
    ir::emit_remark(
        conv,
        &format!(
            "conv-channels-last: {} left in its original layout: {reason}",
            ir::op_name(conv)
        ),
    );
    stats
        .convs_skipped
        .push((ir::location_string(conv), reason.to_string()));
}

/// Convs that could not even be proposed a layout (dynamic shapes), already
/// remarked on during classification, are counted here.
/// So are convs nested in the regions of other ops (loops, conditionals),
/// which the pass does not lay out.
fn count_unconvertible_convs(ops: &[OpInfo], stats: &mut FunctionStats) -> usize {
    let mut count = 0;
    for info in ops {
        if let Kind::Opaque = info.kind
            && let Some(reason) = unconvertible_conv_reason(info.op)
        {
            report_skipped_conv(info.op, &reason, stats);
            count += 1;
        }
        if ir::is_linalg(info.op) {
            continue;
        }
        for inner in ir::nested_ops(info.op) {
            // SAFETY: query on a live op.
            if ir::is_linalg(inner) && unsafe { mlirLinalgIsAConvolutionOp(inner) } {
                let reason = format!(
                    "inside '{}' (layouts are assigned to the ops at the top level of a function)",
                    ir::op_name(info.op)
                );
                report_skipped_conv(inner, &reason, stats);
                count += 1;
            }
        }
    }
    count
}

fn unconvertible_conv_reason(op: MlirOperation) -> Option<String> {
    // SAFETY: query on a live op.
    if !ir::is_linalg(op) || !unsafe { mlirLinalgIsAConvolutionOp(op) } {
        return None;
    }
    let operands = ir::operands(op);
    // SAFETY: type query.
    if operands
        .iter()
        .any(|&v| unsafe { mlirTypeIsAMemRef(ir::value_type(v)) })
    {
        return Some(
            "operands are memrefs (the pass works on tensors, before bufferization)".into(),
        );
    }
    let tensors: Vec<_> = operands
        .iter()
        .filter(|&&v| ir::is_tensor(ir::value_type(v)))
        .map(|&v| ir::static_tensor(ir::value_type(v)))
        .collect();
    if tensors.iter().any(Option::is_none) {
        return Some("dynamic shapes (channels-last conversion needs static shapes)".into());
    }
    if tensors.iter().flatten().any(|t| t.shape.contains(&0)) {
        return Some("zero-size tensors (no data to lay out)".into());
    }
    conv_layouts(op).err()
}

/// A function whose body has several blocks: its convs are reported, not
/// converted (layouts are only assigned within one block).
fn skip_multi_block(func: MlirOperation) -> FunctionStats {
    let mut stats = FunctionStats {
        function: ir::symbol_name(func),
        ..Default::default()
    };
    let reason = "the function body has several blocks (the pass handles single-block functions)";
    for op in ir::nested_ops(func) {
        // SAFETY: query on a live op.
        if ir::is_linalg(op)
            && unsafe { mlirLinalgIsAConvolutionOp(op) }
            && conv_layouts(op).is_ok_and(|(_, _, seed)| seed)
        {
            stats.convs_found += 1;
            report_skipped_conv(op, reason, &mut stats);
        }
    }
    stats
}

/// Interns a tensor value (with its defining op index) into the value table.
type Intern<'a> = dyn FnMut(MlirValue, Option<usize>, &mut Vec<ValueInfo>) -> Option<usize> + 'a;

/// Classifies `op` (at index `index`) and lists its tensor ports.
fn classify(
    op: MlirOperation,
    index: usize,
    intern: &mut Intern,
    values: &mut Vec<ValueInfo>,
) -> (Kind, Vec<Port>) {
    let name = ir::op_name(op);
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
                && !is_block_argument_of(v, op)
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
    let kind = match name.as_str() {
        "arith.constant" if !ports.is_empty() && ir::has_elements_value(op) => Kind::Constant,
        "tensor.empty" if ports.len() == 1 => Kind::Empty,
        "linalg.fill" if is_fill_of_empty(op) && ports.len() == 2 => Kind::Fill,
        "tensor.extract" => {
            // Reads by logical coordinates: any layout serves it.
            if let Some(p) = ports.first_mut() {
                p.any_layout = true;
            }
            Kind::Opaque
        }
        "tensor.pad" | "tensor.concat" | "tensor.extract_slice" | "tensor.insert_slice"
            if ports.iter().all(|p| {
                ports.iter().all(|q| {
                    values[p.value].tensor.shape.len() == values[q.value].tensor.shape.len()
                })
            }) && captured.is_empty()
                && static_sizes(op, &name)
                // A padding value computed from the position (the pad's
                // block arguments) is left in the original layout.
                && (name != "tensor.pad" || ir::yields_a_position_independent_value(op)) =>
        {
            Kind::SameOrder
        }
        "tensor.expand_shape" if ir::operands(op).len() == 1 => {
            ir::reassociation(op).map_or(Kind::Opaque, Kind::Expand)
        }
        "tensor.collapse_shape" => ir::reassociation(op).map_or(Kind::Opaque, Kind::Collapse),
        _ if ir::is_linalg(op) => return classify_linalg(op, ports, &captured, values),
        _ => Kind::Opaque,
    };
    (kind, with_opaque_captures(ports, &captured))
}

/// `linalg.fill ins(%scalar) outs(tensor.empty)`.
/// `ports` plus the tensors captured by nested ops `(op, operand, value)`,
/// as ports that need the original layout (no indexing map).
fn with_opaque_captures(
    mut ports: Vec<Port>,
    captured: &[(MlirOperation, usize, usize)],
) -> Vec<Port> {
    ports.extend(
        captured
            .iter()
            .map(|&(n, i, value)| Port::new(PortSite::Nested(n, i), value, None)),
    );
    ports
}

fn is_fill_of_empty(op: MlirOperation) -> bool {
    let operands = ir::operands(op);
    operands.len() == 2
        && !ir::is_tensor(ir::value_type(operands[0]))
        && ir::defining_op(operands[1]).is_some_and(|d| ir::op_name(d) == "tensor.empty")
}

fn is_block_argument_of(value: MlirValue, op: MlirOperation) -> bool {
    // SAFETY: reading the owner of a block argument.
    unsafe {
        if !mlirValueIsABlockArgument(value) {
            return false;
        }
        let owner = mlirBlockGetParentOperation(mlirBlockArgumentGetOwner(value));
        let mut current = owner;
        while !current.ptr.is_null() {
            if current.ptr == op.ptr {
                return true;
            }
            current = mlirOperationGetParentOperation(current);
        }
        false
    }
}

/// Pads and slices with dynamic low/high/offsets/sizes are left alone.
fn static_sizes(op: MlirOperation, name: &str) -> bool {
    let tensor_operands = ir::operands(op)
        .iter()
        .filter(|&&v| ir::is_tensor(ir::value_type(v)))
        .count();
    let all = ir::operands(op).len();
    match name {
        "tensor.pad" => all == 1,
        "tensor.concat" => true,
        _ => all == tensor_operands,
    }
}

fn classify_linalg(
    op: MlirOperation,
    mut ports: Vec<Port>,
    captured: &[(MlirOperation, usize, usize)],
    values: &[ValueInfo],
) -> (Kind, Vec<Port>) {
    // SAFETY: query on a live op.
    if unsafe { mlirLinalgIsAConvolutionOp(op) } {
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
    let Some(maps) = ir::indexing_maps(op) else {
        return (Kind::Opaque, with_opaque_captures(ports, captured));
    };
    let num_inputs = ir::linalg_num_inputs(op);
    let num_operands = ir::operands(op).len();
    if maps.len() != num_operands {
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
    let num_loops = ir::linalg_num_loops(op);
    let mut loops = vec![0i64; num_loops];
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
fn gather_map(op: MlirOperation, operand: usize, shape: &[i64]) -> Option<Vec<MapResult>> {
    if ir::op_name(op) != "tensor.extract" || operand != 0 {
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
/// anything but those and constants.
fn index_sources(value: MlirValue, loops: &mut Vec<usize>, depth: usize) -> Option<()> {
    if depth > 64 {
        return None;
    }
    let op = ir::defining_op(value)?;
    let name = ir::op_name(op);
    if name == "linalg.index" {
        // SAFETY: `dim` is an integer attribute of linalg.index.
        let dim = unsafe { mlirIntegerAttrGetValueInt(ir::attribute(op, "dim")?) };
        loops.push(dim as usize);
        return Some(());
    }
    if name == "arith.constant" {
        return Some(());
    }
    if !(name.starts_with("arith.")
        || name.starts_with("math.")
        || name.starts_with("affine.apply"))
    {
        return None;
    }
    for operand in ir::operands(op) {
        index_sources(operand, loops, depth + 1)?;
    }
    Some(())
}

/// Channels-last layouts of a conv's image, filter and result, from its
/// indexing maps: batch dims first, spatial dims next, channel dims last for
/// activations; output channels (and groups) first, then spatial, then input
/// channels for the filter (KRSC). Also returns the bytes that converting
/// saves (cuDNN's hidden conversions of image and result, plus one byte so
/// that ties favour channels-last).
fn conv_layouts(op: MlirOperation) -> Result<(Vec<Layout>, u64, bool), String> {
    // A conv with a stride or dilation below 1 (or beyond 32 bits) has no
    // meaning to lay out, and its generic form would carry index constants
    // that do not even print in a parsable form (-2^63).
    for name in ["strides", "dilations"] {
        if ir::int_elements(op, name).is_some_and(|values| {
            values
                .iter()
                .any(|&v| !(1..=i64::from(i32::MAX)).contains(&v))
        }) {
            return Err(format!("{name} outside 1..2^31 (the conv is malformed)"));
        }
    }
    let maps = ir::indexing_maps(op).ok_or("not a LinalgOp")?;
    let operands = ir::operands(op);
    if maps.len() != 3 || operands.len() != 3 || ir::linalg_num_inputs(op) != 2 {
        return Err("a conv form with other than one image, one filter and one result".into());
    }
    let tensors: Vec<TensorInfo> = operands
        .iter()
        .map(|&v| ir::static_tensor(ir::value_type(v)))
        .collect::<Option<_>>()
        .ok_or("dynamic shapes (channels-last conversion needs static shapes)")?;
    if tensors.iter().any(|t| t.has_encoding) {
        return Err("operands already carry layout encodings".into());
    }
    let plain_dims = |m: &[MapExpr]| {
        m.iter()
            .filter_map(|e| {
                if let MapExpr::Dim(d) = e {
                    Some(*d)
                } else {
                    None
                }
            })
            .collect::<Vec<_>>()
    };
    let (image, filter, output) = (&maps[0], &maps[1], &maps[2]);
    let (image_dims, filter_dims, output_dims) =
        (plain_dims(image), plain_dims(filter), plain_dims(output));
    // Pooling: the "filter" is a window only, no channel dim; the first
    // dim shared by image and result is the batch, the others channels.
    let pooling = !filter_dims
        .iter()
        .any(|d| image_dims.contains(d) || output_dims.contains(d));
    let batch_dim = image.iter().find_map(|e| match e {
        MapExpr::Dim(d) if output_dims.contains(d) => Some(*d),
        _ => None,
    });
    let is_channel = |d: usize| {
        filter_dims.contains(&d)
            || (pooling
                && Some(d) != batch_dim
                && image_dims.contains(&d)
                && output_dims.contains(&d)
                && !is_spatial(d, image))
    };
    let activation = |map: &[MapExpr]| {
        let mut batch = Vec::new();
        let mut spatial = Vec::new();
        let mut channel = Vec::new();
        for (j, e) in map.iter().enumerate() {
            match e {
                MapExpr::Dim(d) if is_channel(*d) => channel.push(j),
                MapExpr::Dim(d)
                    if image_dims.contains(d)
                        && output_dims.contains(d)
                        && !filter_dims.contains(d)
                        && !is_spatial(*d, image) =>
                {
                    batch.push(j)
                }
                _ => spatial.push(j),
            }
        }
        (batch, spatial, channel)
    };
    let (ib, is, ic) = activation(image);
    let (ob, os, oc) = activation(output);
    if is.is_empty() || os.is_empty() || ic.is_empty() || oc.is_empty() {
        return Err("no spatial or channel dims recognised in its indexing maps".into());
    }
    let image_perm: Vec<usize> = ib.into_iter().chain(is).chain(ic).collect();
    let output_perm: Vec<usize> = ob.into_iter().chain(os).chain(oc).collect();
    if image_perm.iter().enumerate().all(|(i, &p)| i == p)
        && output_perm.iter().enumerate().all(|(i, &p)| i == p)
    {
        return Err("already channels-last".into());
    }
    let mut leading = Vec::new();
    let mut spatial = Vec::new();
    let mut trailing = Vec::new();
    for (j, e) in filter.iter().enumerate() {
        match e {
            MapExpr::Dim(d) if output_dims.contains(d) => leading.push(j),
            MapExpr::Dim(d) if image_dims.contains(d) => trailing.push(j),
            MapExpr::Dim(_) => spatial.push(j),
            _ => return Err("a filter indexing map that is not a permutation".into()),
        }
    }
    let filter_perm: Vec<usize> = leading.into_iter().chain(spatial).chain(trailing).collect();
    let layouts = [
        (&tensors[0], image_perm),
        (&tensors[1], filter_perm),
        (&tensors[2], output_perm),
    ]
    .into_iter()
    .map(|(t, p)| {
        Layout::permuted(&t.shape, &p).map_err(|_| "inconsistent indexing maps".to_string())
    })
    .collect::<Result<Vec<_>, _>>()?;
    let saving = layout::bytes(&tensors[0].shape, tensors[0].element_bits)
        + layout::bytes(&tensors[2].shape, tensors[2].element_bits)
        + 1;
    Ok((layouts, saving, !pooling))
}

/// True when loop `d` appears inside a compound expression of `map` (a
/// spatial loop of a conv image).
fn is_spatial(d: usize, map: &[MapExpr]) -> bool {
    map.iter()
        .any(|e| matches!(e, MapExpr::Compound(dims) if dims.contains(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use melior::{Context, dialect::DialectRegistry, ir::Module};

    /// On every small function of the pass's lit tests, the min-cut choice
    /// costs exactly as little as the best of all 2^n choices (n ops with a
    /// proposed layout, n <= 14).
    #[test]
    fn placement_is_optimal_against_brute_force() {
        let registry = DialectRegistry::new();
        crate::dialect::register_upstream_and_chlast(&registry);
        let context = Context::new();
        context.append_dialect_registry(&registry);
        context.load_all_available_dialects();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("test/Transforms/conv-channels-last");
        let mut checked = 0;
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "mlir"))
        {
            let text = std::fs::read_to_string(file).unwrap();
            for chunk in text.split("\n// -----") {
                let Some(module) = Module::parse(&context, chunk) else {
                    continue;
                };
                let Some(body) = ir::single_body_block(module.as_operation().to_raw()) else {
                    continue;
                };
                for func in ir::block_ops(body) {
                    let Some(block) = ir::single_body_block(func) else {
                        continue;
                    };
                    if ir::op_name(func) != "func.func" {
                        continue;
                    }
                    let function = Function::analyze(func, block);
                    let convs: Vec<usize> = (0..function.ops.len())
                        .filter(|&o| matches!(function.ops[o].kind, Kind::Conv { seed: true, .. }))
                        .collect();
                    if convs.is_empty() {
                        continue;
                    }
                    let states = function.propagate(&convs, Strategy::MinCut);
                    let free: Vec<usize> = (0..states.states.len())
                        .filter(|&o| states[o].is_some())
                        .collect();
                    if free.len() > 14 {
                        continue;
                    }
                    for cost_model in [true, false] {
                        let chosen = function.place(&states, cost_model);
                        let cut_cost = function.placement_cost(&states, &chosen, cost_model);
                        let best = (0u32..1 << free.len())
                            .map(|mask| {
                                let mut choice = vec![false; states.states.len()];
                                for (i, &o) in free.iter().enumerate() {
                                    choice[o] = mask & (1 << i) != 0;
                                }
                                function.placement_cost(&states, &choice, cost_model)
                            })
                            .min()
                            .unwrap();
                        assert_eq!(
                            cut_cost,
                            best,
                            "{} @{} (cost-model={cost_model})",
                            file.display(),
                            ir::symbol_name(func)
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 30, "only {checked} functions checked");
    }
}
