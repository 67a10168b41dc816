//! Propagation: the layouts the convs propose spread to every op that can
//! compute in a permuted layout without changing meaning; each such op gets
//! a proposed state (a layout of its loops or its result) and every port
//! the layout that state implies.

use super::{
    Function,
    classify::{Kind, Port, PortSite},
};
use crate::{layout::Layout, passes::Strategy};
use std::collections::VecDeque;

/// The layouts propagation proposes: a state per op that can follow
/// channels-last, and the layout each of its ports then has (computed once:
/// placement and rewriting read them many times).
pub(super) struct Proposal {
    pub states: Vec<Option<Layout>>,
    ports: Vec<Vec<Option<Layout>>>,
}

impl Proposal {
    fn new(function: &Function<'_, '_>, states: Vec<Option<Layout>>) -> Self {
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
    pub fn port(&self, o: usize, p: usize) -> Option<&Layout> {
        self.ports[o].get(p)?.as_ref()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Option<Layout>> {
        self.states.iter()
    }
}

impl std::ops::Index<usize> for Proposal {
    type Output = Option<Layout>;
    fn index(&self, o: usize) -> &Option<Layout> {
        &self.states[o]
    }
}

impl<'c, 'a> Function<'c, 'a> {
    /// The layout of `port` when its op is in `state`.
    fn port_layout(&self, o: usize, port: &Port<'c, 'a>, state: &Layout) -> Option<Layout> {
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
    fn state_from_port(&self, o: usize, port: &Port<'c, 'a>, layout: &Layout) -> Option<Layout> {
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
    pub(super) fn propagate(&self, convs: &[usize], strategy: Strategy) -> Proposal {
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

    pub(super) fn result_port(&self, o: usize, value: usize) -> Option<usize> {
        self.ops[o]
            .ports
            .iter()
            .position(|p| matches!(p.site, PortSite::Result(_)) && p.value == value)
    }

    /// Layout of value `v` when its defining op is in channels-last.
    pub(super) fn def_layout(&self, states: &Proposal, v: usize) -> Option<Layout> {
        let d = self.values[v].def?;
        states.port(d, self.result_port(d, v)?).cloned()
    }
}
