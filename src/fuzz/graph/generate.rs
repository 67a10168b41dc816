//! The seeded generator of random conv networks.

use super::*;
use crate::runtime::random::SplitMix64;

/// Generates the graph of `seed`.
pub fn generate(seed: u64) -> Graph {
    let mut g = Generator {
        rng: SplitMix64::new(seed ^ 0x5eed_f022),
        graph: Graph {
            seed,
            element: Element::F32,
            arguments: vec![],
            nodes: vec![],
            results: vec![],
        },
    };
    g.run();
    g.graph
}

struct Generator {
    rng: SplitMix64,
    graph: Graph,
}

impl Generator {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn run(&mut self) {
        if self.chance(15) {
            self.graph.element = Element::F16;
        }
        let spatial_dims = self.pick(&[1, 2, 2, 2, 3, 3]);
        let batch = if self.chance(3) {
            0
        } else {
            self.pick(&[1, 1, 1, 2])
        };
        let channels = self.pick(&[1, 2, 3, 4, 4, 8]);
        let mut shape = vec![batch, channels];
        for _ in 0..spatial_dims {
            let extent = match spatial_dims {
                1 => self.pick(&[1, 5, 8, 12]),
                2 => self.pick(&[1, 4, 5, 6, 8]),
                _ => self.pick(&[1, 2, 3, 4, 5]),
            };
            shape.push(extent);
        }
        self.graph.arguments.push(shape);
        let target = 2 + self.below(18) as usize;
        let mut attempts = 0;
        while self.graph.nodes.len() < target && attempts < 200 {
            attempts += 1;
            if let Some(node) = self.random_node() {
                self.graph.nodes.push(node);
            }
        }
        // Results: the last node, and sometimes one or two others.
        let last = match self.graph.nodes.len() {
            0 => Ref::Arg(0),
            n => Ref::Node(n - 1),
        };
        self.graph.results.push(last);
        let n = self.graph.nodes.len() as u64;
        for _ in 0..self.below(3) {
            let extra = Ref::Node(self.below(n) as usize);
            if n > 0 && !self.graph.results.contains(&extra) {
                self.graph.results.push(extra);
            }
        }
    }

    fn shape(&self, r: Ref) -> &[i64] {
        match r {
            Ref::Arg(i) => &self.graph.arguments[i],
            Ref::Node(i) => &self.graph.nodes[i].shape,
        }
    }

    fn all_refs(&self) -> Vec<Ref> {
        (0..self.graph.arguments.len())
            .map(Ref::Arg)
            .chain((0..self.graph.nodes.len()).map(Ref::Node))
            .collect()
    }

    /// An input, usually the latest value (chains), sometimes any earlier
    /// one (skips and fan-out).
    fn input(&mut self) -> Ref {
        let refs = self.all_refs();
        if self.chance(65) {
            *refs.last().unwrap()
        } else {
            self.pick(&refs)
        }
    }

    fn random_node(&mut self) -> Option<Node> {
        let x = self.input();
        let shape = self.shape(x).to_vec();
        let rank = shape.len();
        // Upstream's CPU lowering turns pads, concats and slices of empty
        // tensors into out-of-bounds subviews: not on empty tensors.
        let empty = shape.contains(&0);
        let half = self.graph.element == Element::F16;
        let node = match self.below(100) {
            0..=29 => self.conv(x, &shape),
            30..=39 if !empty => self.pad(x, &shape),
            40..=49 => Some(self.unary(x, &shape)),
            50..=55 => self.binary(x, &shape),
            56..=59 => Some(node(
                Op::ChannelAffine {
                    seed: self.rng.next_u64(),
                },
                [x],
                shape,
            )),
            // Norms divide by a statistic of a few values: in f16, the
            // cuDNN calls' f32 accumulation (a legitimate difference)
            // comes out of them amplified past any useful tolerance.
            60..=63 if !half => self.group_norm(x, &shape),
            // Normalising fewer than 4 values divides by about their own
            // size (x / sqrt(x^2 + eps)): rounding differences of the
            // inputs come out amplified ~1/sqrt(eps) times. Real norms
            // normalise many values.
            64..=65 if rank >= 3 && !half && shape[1] >= 4 => {
                Some(node(Op::ChannelRmsNorm, [x], shape))
            }
            66..=69 => self.upsample(x, &shape),
            70..=75 if !empty => self.concat(x, &shape),
            76..=80 if !empty => self.slice(x, &shape),
            81..=84 => self.reshape(x, &shape),
            85..=88 => self.transpose(x, &shape),
            89..=92 if rank == 4 => self.pool(x, &shape),
            93..=95 if rank >= 3 => {
                let mut out = shape[..2].to_vec();
                out.resize(rank, 1);
                Some(node(Op::SpatialMean, [x], out))
            }
            96..=99 => self.scale_by_element(x, &shape),
            _ => None,
        }?;
        (node.shape.iter().product::<i64>() <= MAX_ELEMENTS).then_some(node)
    }

    fn conv(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let rank = shape.len();
        if !(3..=5).contains(&rank) || shape[1] == 0 {
            return None;
        }
        let spatial = rank - 2;
        let channels = shape[1];
        let kind = match self.below(10) {
            0..=5 => ConvKind::Plain,
            6 | 7 => ConvKind::Depthwise,
            8 if rank == 4 && channels % 2 == 0 => ConvKind::Grouped(2),
            9 if rank == 4 => ConvKind::Generic,
            _ => ConvKind::Plain,
        };
        let mut kernel = vec![];
        let mut stride = vec![];
        let mut dilation = vec![];
        let mut out_shape = vec![shape[0], 0];
        for &extent in &shape[2..] {
            let k = self.pick(&[1, 1, 2, 3, 3]).min(extent);
            let s = if self.chance(20) { 2 } else { 1 };
            let mut d = if self.chance(15) { 2 } else { 1 };
            if d * (k - 1) + 1 > extent {
                d = 1;
            }
            if k < 1 || d * (k - 1) + 1 > extent {
                return None;
            }
            kernel.push(k);
            stride.push(s);
            dilation.push(d);
            out_shape.push((extent - d * (k - 1) - 1) / s + 1);
        }
        let out_channels = match kind {
            ConvKind::Depthwise => channels,
            ConvKind::Grouped(g) => g * self.pick(&[1, 2, 3]),
            _ => self.pick(&[1, 2, 3, 4, 8]),
        };
        out_shape[1] = out_channels;
        let bias = if self.chance(50) {
            Bias::Init
        } else {
            Bias::None
        };
        let _ = spatial;
        Some(node(
            Op::Conv(Conv {
                kind,
                kernel,
                stride,
                dilation,
                out_channels,
                bias,
                weight_seed: self.rng.next_u64(),
            }),
            [x],
            out_shape,
        ))
    }

    fn pad(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let rank = shape.len();
        let mut low = vec![0; rank];
        let mut high = vec![0; rank];
        let causal = self.chance(25) && rank >= 3;
        for d in 0..rank {
            let spatial = d >= 2;
            if causal {
                if d == 2 {
                    low[d] = self.pick(&[1, 2]);
                }
            } else if (spatial && self.chance(70)) || self.chance(8) {
                low[d] = self.below(3) as i64;
                high[d] = self.below(3) as i64;
            }
        }
        let value = match self.below(10) {
            0 => PadValue::ByPosition,
            1 => PadValue::Constant(0.5),
            2 => PadValue::Constant(-1.0),
            _ => PadValue::Constant(0.0),
        };
        let out = (0..rank).map(|d| shape[d] + low[d] + high[d]).collect();
        Some(node(Op::Pad { low, high, value }, [x], out))
    }

    fn unary(&mut self, x: Ref, shape: &[i64]) -> Node {
        let f = self.pick(&[
            Unary::Relu,
            Unary::Silu,
            Unary::Silu,
            Unary::Tanh,
            Unary::Half,
        ]);
        node(Op::Unary(f), [x], shape.to_vec())
    }

    /// Another value of `shape`, if there is one.
    fn partner(&mut self, x: Ref, fits: impl Fn(&[i64]) -> bool) -> Option<Ref> {
        let candidates: Vec<Ref> = self
            .all_refs()
            .into_iter()
            .filter(|&r| r != x && fits(self.shape(r)))
            .collect();
        (!candidates.is_empty()).then(|| self.pick(&candidates))
    }

    fn binary(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let f = self.pick(&[Binary::Add, Binary::Add, Binary::Mul, Binary::Sub]);
        // A residual: usually another value of the same shape, sometimes
        // the value itself (both operands one tensor).
        let y = match self.partner(x, |s| s == shape) {
            Some(y) => y,
            None if self.chance(30) => x,
            None => return None,
        };
        Some(node(Op::Binary(f), [x, y], shape.to_vec()))
    }

    fn group_norm(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        if shape.len() < 3 || shape[1] == 0 || shape.iter().product::<i64>() == 0 {
            return None;
        }
        let values: i64 = shape[1..].iter().product();
        let divisors: Vec<i64> = (1..=shape[1])
            .filter(|g| shape[1] % g == 0 && values / g >= 4)
            .collect();
        if divisors.is_empty() {
            return None;
        }
        let groups = self.pick(&divisors);
        Some(node(Op::GroupNorm { groups }, [x], shape.to_vec()))
    }

    fn upsample(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        if shape.len() < 3 {
            return None;
        }
        let mut factors = vec![1; shape.len()];
        for factor in &mut factors[2..] {
            *factor = self.pick(&[1, 2, 2]);
        }
        let out = shape.iter().zip(&factors).map(|(e, f)| e * f).collect();
        Some(node(Op::Upsample { factors }, [x], out))
    }

    fn concat(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let dim = if self.chance(60) && shape.len() > 1 {
            1
        } else {
            self.below(shape.len() as u64) as usize
        };
        let fits = |s: &[i64]| {
            s.len() == shape.len()
                && !s.contains(&0)
                && (0..s.len()).all(|d| d == dim || s[d] == shape[d])
        };
        let y = self.partner(x, fits).unwrap_or(x);
        let mut out = shape.to_vec();
        out[dim] += self.shape(y)[dim];
        // insert_slice offsets must be inside the destination, even for
        // zero-size slices: no insert-slice concat of empty tensors.
        let op = if self.chance(30) && out.iter().all(|&e| e > 0) {
            Op::InsertConcat { dim }
        } else {
            Op::Concat { dim }
        };
        Some(node(op, [x, y], out))
    }

    fn slice(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        // MLIR checks slice offsets against every extent, zero ones too.
        if shape.contains(&0) {
            return None;
        }
        let rank = shape.len();
        let mut offsets = vec![0; rank];
        let mut strides = vec![1; rank];
        let mut out = shape.to_vec();
        for d in 0..rank {
            if shape[d] > 1 && self.chance(40) {
                offsets[d] = self.below(shape[d] as u64) as i64;
                strides[d] = if self.chance(25) { 2 } else { 1 };
                let room = shape[d] - offsets[d];
                let max = (room - 1) / strides[d] + 1;
                out[d] = 1 + self.below(max as u64) as i64;
            }
        }
        Some(node(Op::Slice { offsets, strides }, [x], out))
    }

    fn reshape(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let rank = shape.len();
        if rank >= 4 || (rank >= 2 && self.chance(50)) {
            let dim = self.below(rank as u64 - 1) as usize;
            let mut out = shape.to_vec();
            let merged = out.remove(dim + 1);
            out[dim] *= merged;
            return Some(node(Op::Collapse { dim }, [x], out));
        }
        let dim = self.below(rank as u64) as usize;
        let divisors: Vec<i64> = (1..=shape[dim].max(1))
            .filter(|f| shape[dim] % f == 0)
            .collect();
        let outer = self.pick(&divisors);
        let mut out = shape.to_vec();
        out[dim] = if outer == 0 { 0 } else { shape[dim] / outer };
        out.insert(dim, outer);
        if outer == 0 {
            return None;
        }
        Some(node(Op::Expand { dim, outer }, [x], out))
    }

    fn transpose(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let rank = shape.len();
        let mut permutation: Vec<usize> = (0..rank).collect();
        for i in (1..rank).rev() {
            let j = self.below(i as u64 + 1) as usize;
            permutation.swap(i, j);
        }
        let out = permutation.iter().map(|&p| shape[p]).collect();
        let as_generic = self.chance(40);
        Some(node(
            Op::Transpose {
                permutation,
                as_generic,
            },
            [x],
            out,
        ))
    }

    fn pool(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let window = self.pick(&[1, 2, 2]);
        if shape[2] < window || shape[3] < window {
            return None;
        }
        let kind = self.pick(&[Pool::Max, Pool::Sum]);
        let out = vec![
            shape[0],
            shape[1],
            (shape[2] - window) / window + 1,
            (shape[3] - window) / window + 1,
        ];
        Some(node(Op::Pool { kind, window }, [x], out))
    }

    fn scale_by_element(&mut self, x: Ref, shape: &[i64]) -> Option<Node> {
        let y = self.partner(x, |s| !s.is_empty() && s.iter().all(|&e| e > 0))?;
        let index = self
            .shape(y)
            .to_vec()
            .iter()
            .map(|&e| self.below(e as u64) as i64)
            .collect();
        Some(node(Op::ScaleByElement { index }, [x, y], shape.to_vec()))
    }
}

fn node<const N: usize>(op: Op, inputs: [Ref; N], shape: Vec<i64>) -> Node {
    Node {
        op,
        inputs: inputs.to_vec(),
        shape,
    }
}
