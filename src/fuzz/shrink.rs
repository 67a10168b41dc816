//! Shrinking a failing graph to a small reproducer, greedily: keep one
//! result, cut a node (its result becomes a function argument), bypass a
//! node (its uses read its same-shaped input), drop what nothing returned
//! reads; keep each step that still fails the same way, until none does.
//!
//! ```text
//! before: %a0 -> pad -> conv -> silu -> concat(%v2, %v0) -> conv -> return
//! after:  %a0 -> conv -> return      (cut at the pad, the rest unused)
//! ```

use super::graph::{Graph, Ref};

/// The smallest graph reachable from `graph` by the steps above for which
/// `still_fails` holds (`graph` itself if none is smaller). `still_fails`
/// runs once per candidate.
pub fn shrink(graph: &Graph, mut still_fails: impl FnMut(&Graph) -> bool) -> Graph {
    let mut best = prune(graph);
    loop {
        let mut improved = false;
        for candidate in candidates(&best) {
            if candidate.nodes.len() + candidate.results.len()
                < best.nodes.len() + best.results.len()
                && still_fails(&candidate)
            {
                best = candidate;
                improved = true;
                break;
            }
        }
        if !improved {
            return best;
        }
    }
}

/// One-step simplifications of `graph`, the largest cuts first.
fn candidates(graph: &Graph) -> Vec<Graph> {
    let mut out = Vec::new();
    if graph.results.len() > 1 {
        for &r in &graph.results {
            let mut g = graph.clone();
            g.results = vec![r];
            out.push(prune(&g));
        }
    }
    for i in 0..graph.nodes.len() {
        out.push(prune(&cut(graph, i)));
    }
    for i in (0..graph.nodes.len()).rev() {
        let shape = &graph.nodes[i].shape;
        if let Some(&input) = graph.nodes[i]
            .inputs
            .iter()
            .find(|&&r| graph.shape(r) == shape.as_slice())
        {
            out.push(prune(&replace(graph, Ref::Node(i), input)));
        }
    }
    out
}

/// `graph` with node `i`'s result replaced by a new function argument.
pub fn cut(graph: &Graph, i: usize) -> Graph {
    let mut g = graph.clone();
    g.arguments.push(graph.nodes[i].shape.clone());
    let argument = Ref::Arg(g.arguments.len() - 1);
    replace(&g, Ref::Node(i), argument)
}

/// `graph` with every use of `from` reading `to` instead.
fn replace(graph: &Graph, from: Ref, to: Ref) -> Graph {
    let mut g = graph.clone();
    let swap = |r: &mut Ref| {
        if *r == from {
            *r = to;
        }
    };
    for node in &mut g.nodes {
        node.inputs.iter_mut().for_each(swap);
    }
    g.results.iter_mut().for_each(swap);
    g.results.dedup();
    g
}

/// `graph` without the nodes and arguments no result depends on.
pub fn prune(graph: &Graph) -> Graph {
    let mut live_nodes = vec![false; graph.nodes.len()];
    let mut live_args = vec![false; graph.arguments.len()];
    let mark = |r: Ref, nodes: &mut Vec<bool>, args: &mut Vec<bool>| match r {
        Ref::Node(i) => nodes[i] = true,
        Ref::Arg(i) => args[i] = true,
    };
    for &r in &graph.results {
        mark(r, &mut live_nodes, &mut live_args);
    }
    for i in (0..graph.nodes.len()).rev() {
        if live_nodes[i] {
            for &r in &graph.nodes[i].inputs {
                mark(r, &mut live_nodes, &mut live_args);
            }
        }
    }
    let renumber = |live: &[bool]| {
        let mut next = 0;
        live.iter()
            .map(|&l| {
                let n = next;
                next += usize::from(l);
                n
            })
            .collect::<Vec<_>>()
    };
    let (node_index, arg_index) = (renumber(&live_nodes), renumber(&live_args));
    let map = |r: Ref| match r {
        Ref::Node(i) => Ref::Node(node_index[i]),
        Ref::Arg(i) => Ref::Arg(arg_index[i]),
    };
    Graph {
        seed: graph.seed,
        element: graph.element,
        arguments: graph
            .arguments
            .iter()
            .zip(&live_args)
            .filter(|(_, l)| **l)
            .map(|(s, _)| s.clone())
            .collect(),
        nodes: graph
            .nodes
            .iter()
            .zip(&live_nodes)
            .filter(|(_, l)| **l)
            .map(|(n, _)| {
                let mut n = n.clone();
                n.inputs = n.inputs.iter().map(|&r| map(r)).collect();
                n
            })
            .collect(),
        results: graph.results.iter().map(|&r| map(r)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::{Op, generate};
    use super::*;

    #[test]
    fn shrinking_keeps_the_failure_and_drops_the_rest() {
        // "Fails" while the graph still has a conv: shrinks to one conv
        // reading an argument.
        let graph = (0..100)
            .map(generate)
            .find(|g| g.convs() >= 2 && g.nodes.len() >= 6)
            .expect("a graph with two convs and six ops");
        let small = shrink(&graph, |g| g.convs() >= 1);
        assert_eq!(small.nodes.len(), 1, "{small:?}");
        assert!(matches!(small.nodes[0].op, Op::Conv(_)));
        assert!(matches!(small.nodes[0].inputs[0], Ref::Arg(_)));
        assert_eq!(small.results, vec![Ref::Node(0)]);
    }

    #[test]
    fn a_cut_node_becomes_an_argument_of_its_shape() {
        let mut graph = (0..100).map(generate).find(|g| g.nodes.len() >= 3).unwrap();
        let last = graph.nodes.len() - 1;
        graph.results = vec![Ref::Node(last)];
        let g = prune(&cut(&graph, last));
        assert!(g.nodes.is_empty());
        assert_eq!(g.results, vec![Ref::Arg(0)]);
        assert_eq!(g.arguments[0], graph.nodes[last].shape);
    }
}
