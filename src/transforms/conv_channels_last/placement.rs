//! Placement: which ops take their proposed layout, chosen by a minimum
//! s-t cut of the bytes that layout conversions move (see the module docs
//! of `conv_channels_last`), and the layouts values and uses then have.

use super::{Function, classify::Kind, propagate::Proposal};
use crate::{
    ir::{self, OpClass},
    layout::{self, Layout},
    min_cut::{FlowGraph, INFINITE},
};
use std::collections::HashMap;

impl<'c, 'a> Function<'c, 'a> {
    pub(super) fn bytes(&self, v: usize) -> u64 {
        layout::bytes(
            &self.values[v].tensor.shape,
            self.values[v].tensor.element_bits,
        )
    }

    pub(super) fn conversion_cost(&self, v: usize) -> u64 {
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
    pub(super) fn place(&self, states: &Proposal, cost_model: bool) -> Vec<bool> {
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
                        interior_plain |= ir::op_class(self.ops[u].op) != OpClass::CHLAST_OP_RETURN;
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
    pub(super) fn actual_layouts(&self, states: &Proposal, chosen: &[bool]) -> Vec<Layout> {
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
    pub(super) fn required_layout(
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::Strategy;
    use melior::ir::Module;

    /// On every small function of the pass's lit tests, the min-cut choice
    /// costs exactly as little as the best of all 2^n choices (n ops with a
    /// proposed layout, n <= 14).
    #[test]
    fn placement_is_optimal_against_brute_force() {
        let context = crate::runtime::create_context();
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
                let Some(body) = ir::single_body_block(module.as_operation()) else {
                    continue;
                };
                for func in ir::block_ops(body) {
                    let Some(block) = ir::single_body_block(func) else {
                        continue;
                    };
                    if ir::op_class(func) != OpClass::CHLAST_OP_FUNC {
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
                            ir::symbol_name(func).unwrap_or_default()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 30, "only {checked} functions checked");
    }
}
