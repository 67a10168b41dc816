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
//!
//! Files: [`classify`] (what each op is and its tensor ports), [`propagate`]
//! (the layouts the convs propose), [`placement`] (the minimum cut),
//! [`rewrite`] (types and conversions), [`stats`] (reports). The pass sees
//! IR only through melior's handles and [`crate::ir`]; `run_from_mlir` is
//! its FFI boundary.

mod classify;
mod placement;
mod propagate;
mod rewrite;
mod stats;

pub use stats::{ConversionSite, FunctionStats, RuntimeConversion, SkipReason, SkippedConv};

use crate::{
    ffi,
    ir::{self, BlockRef, OpClass, OperationRef, Value, ValueKey},
    passes::{ConvChannelsLastOptions, Strategy},
};
use classify::{Kind, OpInfo, PortSite, ValueInfo, classify, count_unconvertible_convs};
use mlir_sys::{MlirLogicalResult, MlirOperation};
use stats::report_skipped_conv;
use std::collections::HashMap;

/// Entry point called by the MLIR pass class (see
/// `dialects/chlast/lib/RustPasses.cpp`): the pass's FFI boundary.
///
/// # Safety
/// `module` must be a live `builtin.module` and `options` valid for the
/// duration of the call.
pub unsafe extern "C" fn run_from_mlir(
    module: MlirOperation,
    options: *const ffi::ChlastConvChannelsLastOptions,
) -> MlirLogicalResult {
    // SAFETY: MLIR passes a live module and valid options for the duration
    // of the call; the string ref points to the option's bytes.
    let (module, raw) = unsafe { (OperationRef::from_raw(module), &*options) };
    // SAFETY: the stats file name is valid for the duration of the call.
    let stats_file = unsafe { ir::string_of(raw.statsFile) };
    let options = ConvChannelsLastOptions {
        enable: raw.enable,
        max_ops_per_conv: raw.maxOpsPerConv,
        cost_model: raw.costModel,
        strategy: Strategy::from(raw.strategy),
        stats_file: (!stats_file.is_empty()).then_some(stats_file),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut dead = Vec::new();
        let stats = conv_channels_last(module, &options, &mut dead);
        for op in dead {
            // SAFETY: the analysis that held handles to these ops is gone;
            // `apply` checked that nothing uses their results.
            unsafe { ir::erase(op) }
        }
        stats
    }));
    let ok = match outcome {
        Ok(stats) => match stats::write_stats(&options, &stats) {
            Ok(()) => true,
            Err(message) => {
                ir::emit_error(module, &message);
                false
            }
        },
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

/// Runs the pass on every `func.func` of `module` and returns the
/// statistics per function. Ops left unused by the rewrite (constants and
/// empty tensors re-created in another layout) are pushed to `dead` for the
/// caller to erase once no analysis refers to them.
fn conv_channels_last<'c, 'a>(
    module: OperationRef<'c, 'a>,
    options: &ConvChannelsLastOptions,
    dead: &mut Vec<OperationRef<'c, 'a>>,
) -> Vec<FunctionStats> {
    let mut stats = Vec::new();
    if !options.enable {
        return stats;
    }
    let Some(body) = ir::single_body_block(module) else {
        return stats;
    };
    for op in ir::block_ops(body) {
        if ir::op_class(op) != OpClass::CHLAST_OP_FUNC {
            continue;
        }
        if let Some(block) = ir::single_body_block(op) {
            let mut function = Function::analyze(op, block);
            stats.push(function.run(options));
            dead.append(&mut function.dead);
        } else {
            stats.push(classify::skip_multi_block(op));
        }
    }
    stats
}

/// One function under analysis: its top-level ops, classified, and the
/// static tensor values they define and use.
struct Function<'c, 'a> {
    func: OperationRef<'c, 'a>,
    block: BlockRef<'c, 'a>,
    ops: Vec<OpInfo<'c, 'a>>,
    values: Vec<ValueInfo<'c, 'a>>,
    /// Ops the rewrite left unused, to be erased by the caller.
    dead: Vec<OperationRef<'c, 'a>>,
}

impl<'c, 'a> Function<'c, 'a> {
    fn analyze(func: OperationRef<'c, 'a>, block: BlockRef<'c, 'a>) -> Self {
        let mut values: Vec<ValueInfo<'c, 'a>> = Vec::new();
        let mut index: HashMap<ValueKey, usize> = HashMap::new();
        let mut intern = |value: Value<'c, 'a>,
                          def: Option<usize>,
                          values: &mut Vec<ValueInfo<'c, 'a>>|
         -> Option<usize> {
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
                &mut |v, def, vals: &mut Vec<ValueInfo<'c, 'a>>| intern(v, def, vals),
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
            dead: Vec::new(),
        }
    }

    fn run(&mut self, options: &ConvChannelsLastOptions) -> FunctionStats {
        let mut stats = FunctionStats {
            function: ir::symbol_name(self.func).unwrap_or_default(),
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
            let reason = SkipReason::TooManyOpsPerConv {
                ops: op_count,
                convs: convs.len(),
                max: options.max_ops_per_conv,
            };
            for &c in &convs {
                self.skip(&mut stats, c, reason.clone());
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
                self.skip(&mut stats, c, SkipReason::CostModel);
            }
        }
        self.apply(&states, &chosen, &mut stats);
        stats
    }

    fn skip(&self, stats: &mut FunctionStats, conv: usize, reason: SkipReason) {
        report_skipped_conv(self.ops[conv].op, reason, stats);
    }
}
