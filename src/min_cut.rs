//! Minimum s-t cut (Dinic's max-flow), used to place layout conversions.
//!
//! Nodes on the source side of the cut compute in channels-last; nodes on the
//! sink side keep the original layout. Ties go to the sink side: the source
//! side returned is the smallest minimum cut (the nodes reachable from the
//! source in the final residual graph).

/// A capacity large enough to never be cut.
pub const INFINITE: u64 = u64::MAX / 4;

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    capacity: u64,
}

/// A directed flow network.
#[derive(Debug, Clone, Default)]
pub struct FlowGraph {
    edges: Vec<Edge>,
    adjacency: Vec<Vec<usize>>,
}

/// The result of [`FlowGraph::min_cut`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Total capacity of the cut edges.
    pub value: u64,
    /// `source_side[n]` is true when node `n` is on the source side.
    pub source_side: Vec<bool>,
}

impl FlowGraph {
    /// A graph with `nodes` nodes and no edges.
    pub fn new(nodes: usize) -> Self {
        Self {
            edges: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    /// Adds a node and returns its index.
    pub fn add_node(&mut self) -> usize {
        self.adjacency.push(Vec::new());
        self.adjacency.len() - 1
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.adjacency.len()
    }

    /// Adds an edge `from -> to` with `capacity` (zero-capacity edges are
    /// dropped).
    pub fn add_edge(&mut self, from: usize, to: usize, capacity: u64) {
        if capacity == 0 || from == to {
            return;
        }
        self.adjacency[from].push(self.edges.len());
        self.edges.push(Edge { to, capacity });
        self.adjacency[to].push(self.edges.len());
        self.edges.push(Edge {
            to: from,
            capacity: 0,
        });
    }

    /// Computes a minimum `source`-`sink` cut.
    pub fn min_cut(mut self, source: usize, sink: usize) -> Cut {
        let n = self.node_count();
        let mut value: u64 = 0;
        let mut level = vec![u32::MAX; n];
        let mut next = vec![0usize; n];
        while self.levels(source, &mut level) && level[sink] != u32::MAX {
            next.iter_mut().for_each(|i| *i = 0);
            loop {
                let pushed = self.augment(source, sink, &level, &mut next);
                if pushed == 0 {
                    break;
                }
                value = value.saturating_add(pushed);
            }
        }
        let source_side = level.iter().map(|&l| l != u32::MAX).collect();
        Cut { value, source_side }
    }

    /// BFS levels from `source` over edges with residual capacity.
    fn levels(&self, source: usize, level: &mut [u32]) -> bool {
        level.iter_mut().for_each(|l| *l = u32::MAX);
        level[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for &e in &self.adjacency[u] {
                let edge = &self.edges[e];
                if edge.capacity > 0 && level[edge.to] == u32::MAX {
                    level[edge.to] = level[u] + 1;
                    queue.push_back(edge.to);
                }
            }
        }
        true
    }

    /// Finds one augmenting path in the level graph (iteratively, so long
    /// chains do not overflow the stack) and pushes its bottleneck.
    fn augment(&mut self, source: usize, sink: usize, level: &[u32], next: &mut [usize]) -> u64 {
        let mut path: Vec<usize> = Vec::new();
        let mut u = source;
        loop {
            if u == sink {
                let bottleneck = path
                    .iter()
                    .map(|&e| self.edges[e].capacity)
                    .min()
                    .unwrap_or(0);
                for &e in &path {
                    self.edges[e].capacity -= bottleneck;
                    self.edges[e ^ 1].capacity += bottleneck;
                }
                return bottleneck;
            }
            let mut advanced = false;
            while next[u] < self.adjacency[u].len() {
                let e = self.adjacency[u][next[u]];
                let edge = &self.edges[e];
                if edge.capacity > 0 && level[edge.to] == level[u] + 1 {
                    path.push(e);
                    u = edge.to;
                    advanced = true;
                    break;
                }
                next[u] += 1;
            }
            if !advanced {
                // Dead end: retreat and never try this node again this phase.
                match path.pop() {
                    Some(e) => {
                        u = self.edges[e ^ 1].to;
                        next[u] += 1;
                    }
                    None => return 0,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all 2^k assignments of the inner nodes.
    fn brute_force(n: usize, edges: &[(usize, usize, u64)], s: usize, t: usize) -> u64 {
        let inner: Vec<usize> = (0..n).filter(|&v| v != s && v != t).collect();
        (0u32..(1 << inner.len()))
            .map(|mask| {
                let mut side = vec![false; n];
                side[s] = true;
                for (i, &v) in inner.iter().enumerate() {
                    side[v] = mask & (1 << i) != 0;
                }
                edges
                    .iter()
                    .filter(|&&(a, b, _)| side[a] && !side[b])
                    .map(|&(_, _, c)| c)
                    .sum()
            })
            .min()
            .unwrap()
    }

    fn check(n: usize, edges: &[(usize, usize, u64)]) {
        let mut g = FlowGraph::new(n);
        for &(a, b, c) in edges {
            g.add_edge(a, b, c);
        }
        let cut = g.min_cut(0, n - 1);
        assert_eq!(
            cut.value,
            brute_force(n, edges, 0, n - 1),
            "edges {edges:?}"
        );
        // The returned side realises the value.
        let realised: u64 = edges
            .iter()
            .filter(|&&(a, b, _)| cut.source_side[a] && !cut.source_side[b])
            .map(|&(_, _, c)| c)
            .sum();
        assert_eq!(realised, cut.value);
        assert!(cut.source_side[0] && !cut.source_side[n - 1]);
    }

    #[test]
    fn optimal_on_random_small_graphs() {
        // A fixed linear congruential generator keeps the test deterministic.
        let mut state: u64 = 0x2545F4914F6CDD1D;
        let mut rand = move |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for _ in 0..300 {
            let n = 2 + rand(8) as usize;
            let m = rand(20) as usize;
            let edges: Vec<_> = (0..m)
                .map(|_| {
                    (
                        rand(n as u64) as usize,
                        rand(n as u64) as usize,
                        1 + rand(10),
                    )
                })
                .collect();
            check(n, &edges);
        }
    }

    #[test]
    fn ties_go_to_the_sink_side() {
        // s -> a (5), a -> t (5): cutting either edge costs 5; `a` stays with t.
        let mut g = FlowGraph::new(3);
        g.add_edge(0, 1, 5);
        g.add_edge(1, 2, 5);
        let cut = g.min_cut(0, 2);
        assert_eq!(cut.value, 5);
        assert!(!cut.source_side[1]);
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let n = 200_000;
        let mut g = FlowGraph::new(n);
        for v in 0..n - 1 {
            g.add_edge(v, v + 1, if v == n / 2 { 3 } else { 7 });
        }
        assert_eq!(g.min_cut(0, n - 1).value, 3);
    }
}
