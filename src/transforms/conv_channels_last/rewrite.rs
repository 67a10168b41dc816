//! Rewriting: values get the `#chlast.layout` types of their chosen layouts
//! and `chlast.to_layout` goes where a value meets a use in another layout
//! (constants and empty tensors are re-created in that layout instead).

use super::{
    Function,
    classify::{Kind, PortSite},
    propagate::Proposal,
    stats::{ConversionSite, FunctionStats, RuntimeConversion},
};
use crate::{
    ir::{self, BlockLike, OpClass, OperationLike, OperationRef, Value, ValueLike},
    layout::{self, Layout},
};
use melior::ir::Operation;
use std::collections::HashMap;

impl<'c, 'a> Function<'c, 'a> {
    /// Rewrites types and inserts conversions for the chosen layouts. Ops
    /// that end up unused go to `self.dead`.
    pub(super) fn apply(&mut self, states: &Proposal, chosen: &[bool], stats: &mut FunctionStats) {
        // 1. The layout every value is defined in.
        let actual = self.actual_layouts(states, chosen);
        for (v, layout) in actual.iter().enumerate() {
            if !layout.is_plain() {
                let value = &self.values[v];
                value.value.set_type(ir::tensor_type(&value.tensor, layout));
            }
        }
        // 2. Conversions where a use needs another layout.
        let mut conversions: HashMap<(usize, Layout), Value<'c, 'a>> = HashMap::new();
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
                    self.convert(v, &required, why, stats)
                });
                let (user, i) = match port.site {
                    PortSite::Operand(i) => (self.ops[u].op, i),
                    PortSite::Nested(op, i) => (op, i),
                    PortSite::Result(_) => unreachable!("uses are operands"),
                };
                ir::set_operand(user, i, converted);
            }
        }
        // 3. Constants and empties that only fed conversions are gone.
        for v in touched_defs {
            if let Some(d) = self.values[v].def
                && matches!(self.ops[d].kind, Kind::Constant | Kind::Empty | Kind::Fill)
                && !ir::has_uses(self.values[v].value)
            {
                self.dead.push(self.ops[d].op);
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
    ) -> (ConversionSite, OperationRef<'c, 'a>, String) {
        let user = self.ops[u].op;
        let Some(d) = self.values[v].def else {
            return (
                ConversionSite::Input,
                user,
                "function arguments arrive in their original layout".into(),
            );
        };
        if ir::op_class(user) == OpClass::CHLAST_OP_RETURN {
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

    /// Inserts `op` right after `after` (at the start of the body for a
    /// block argument) and returns its result.
    fn insert(
        &self,
        after: Option<OperationRef<'c, 'a>>,
        op: Operation<'c>,
    ) -> OperationRef<'c, 'a> {
        match after {
            Some(reference) => self.block.insert_operation_after(reference, op),
            None => self.block.insert_operation(0, op),
        }
    }

    /// A value equal to value `v` in layout `to`: a re-typed constant or
    /// empty tensor, or a `chlast.to_layout` right after the definition.
    fn convert(
        &self,
        v: usize,
        to: &Layout,
        why: impl FnOnce() -> (ConversionSite, OperationRef<'c, 'a>, String),
        stats: &mut FunctionStats,
    ) -> Value<'c, 'a> {
        let value = &self.values[v];
        let ty = ir::tensor_type(&value.tensor, to);
        let def_op = value.def.map(|d| self.ops[d].op);
        let location = def_op.unwrap_or(self.func).location();
        let kind = value.def.map(|d| &self.ops[d].kind);
        let retyped = match (kind, def_op) {
            (Some(Kind::Constant), Some(def)) => ir::retyped_constant(def, ty),
            _ => None,
        };
        let created = match (kind, def_op, retyped) {
            (Some(Kind::Constant), Some(def), Some(retyped)) => {
                stats.constant_conversions_folded += 1;
                self.insert(Some(def), ir::constant_op(location, ty, retyped))
            }
            (Some(Kind::Fill), Some(def), _) => {
                // A fresh fill of a fresh empty tensor in the new layout.
                let empty = self.insert(Some(def), ir::empty_tensor_op(location, ty));
                let fill = self.insert(Some(empty), (*def).clone());
                ir::set_operand(fill, 1, ir::results(empty)[0]);
                ir::results(fill)[0].set_type(ty);
                fill
            }
            (Some(Kind::Empty), Some(def), _) => {
                self.insert(Some(def), ir::empty_tensor_op(location, ty))
            }
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
                self.insert(def_op, ir::to_layout_op(location, ty, value.value))
            }
        };
        ir::results(created)[0]
    }
}
