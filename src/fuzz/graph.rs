//! The fuzzer's graphs: a seeded generator of random conv networks and
//! their MLIR text in torch-mlir's linalg-on-tensors style.
//!
//! A [`Graph`] is a list of [`Node`]s over function arguments; every node
//! has one tensor result of a known shape, so any node can be cut out of a
//! graph by turning its result into a new argument (what the shrinker
//! does). Weights are constants drawn from the node's own seed, so cutting
//! one node leaves the others' weights unchanged.
//!
//! One generated graph, as text (seed 3, abridged):
//!
//! ```mlir
//! func.func @graph(%a0: tensor<1x3x6x6xf32>) -> (tensor<1x4x6x6xf32>) {
//!   %v0 = tensor.pad %a0 low[0, 0, 1, 1] high[0, 0, 1, 1] { ... tensor.yield %zero }
//!   %v1_w = arith.constant dense<"0x..."> : tensor<4x3x3x3xf32>
//!   %v1 = linalg.conv_2d_nchw_fchw ... ins(%v0, %v1_w ...) outs(%v1_f ...)
//!   %v2 = linalg.generic { silu } ins(%v1 ...) outs(...)
//!   return %v2 : tensor<1x4x6x6xf32>
//! }
//! ```

use crate::runtime::{random::SplitMix64, tensor::f32_to_f16};
use std::fmt::Write as _;

/// The element type of every tensor of a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// 32-bit floats.
    F32,
    /// 16-bit floats.
    F16,
}

impl Element {
    /// The MLIR spelling.
    pub fn name(self) -> &'static str {
        match self {
            Element::F32 => "f32",
            Element::F16 => "f16",
        }
    }
}

/// A node's input: a function argument or an earlier node's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    /// Function argument `i`.
    Arg(usize),
    /// The result of node `i`.
    Node(usize),
}

/// The families of convolution the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKind {
    /// `linalg.conv_{1,2,3}d_nc..._fc...`.
    Plain,
    /// `linalg.conv_2d_ngchw_gfchw` between an expand and a collapse, with
    /// this many groups.
    Grouped(i64),
    /// `linalg.depthwise_conv_{1,2,3}d_nc..._c...`.
    Depthwise,
    /// A conv written as a `linalg.generic` (2-D).
    Generic,
}

/// How a conv's bias enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bias {
    /// A zero-filled init.
    None,
    /// A per-channel constant broadcast into the conv's init
    /// (torch-mlir's form).
    Init,
}

/// A convolution with constant weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv {
    /// Which op.
    pub kind: ConvKind,
    /// Window extent per spatial dim.
    pub kernel: Vec<i64>,
    /// Stride per spatial dim.
    pub stride: Vec<i64>,
    /// Dilation per spatial dim.
    pub dilation: Vec<i64>,
    /// Output channels.
    pub out_channels: i64,
    /// Bias form.
    pub bias: Bias,
    /// Seed of the weight (and bias) values.
    pub weight_seed: u64,
}

/// The value of a pad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadValue {
    /// A constant.
    Constant(f32),
    /// A value that depends on the padded element's position (its index
    /// along dim 1, as a float).
    ByPosition,
}

/// Elementwise functions of one tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unary {
    /// `max(x, 0)`.
    Relu,
    /// `x * sigmoid(x)`.
    Silu,
    /// `tanh(x)`.
    Tanh,
    /// `x * 0.5`.
    Half,
}

/// Elementwise functions of two tensors of one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a * b`.
    Mul,
    /// `a - b`.
    Sub,
}

/// Pooling window reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// `linalg.pooling_nchw_max`.
    Max,
    /// `linalg.pooling_nchw_sum`.
    Sum,
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A convolution of input 0 (rank 3 to 5, channels on dim 1).
    Conv(Conv),
    /// `tensor.pad` of input 0.
    Pad {
        /// Low padding per dim.
        low: Vec<i64>,
        /// High padding per dim.
        high: Vec<i64>,
        /// The padding value.
        value: PadValue,
    },
    /// An elementwise `linalg.generic` of input 0.
    Unary(Unary),
    /// An elementwise `linalg.generic` of inputs 0 and 1 (same shape).
    Binary(Binary),
    /// `x * scale[c] + shift[c]` along dim 1, per-channel constants read
    /// through a broadcasting map.
    ChannelAffine {
        /// Seed of the constants.
        seed: u64,
    },
    /// torch-mlir's group norm: collapse to `[N, C*S]`, expand to
    /// `[N, G, C/G*S]`, mean and variance reductions, normalise, collapse
    /// and expand back.
    GroupNorm {
        /// Number of groups (divides dim 1).
        groups: i64,
    },
    /// RMS norm along dim 1: a reduction over the channels into
    /// `[N, 1, ...]`, read back through a broadcasting map.
    ChannelRmsNorm,
    /// Nearest upsampling of dims 2.. by these factors: a generic with only
    /// an output whose body reads input 0 with `tensor.extract`.
    Upsample {
        /// Factor per dim (1 for dims 0 and 1).
        factors: Vec<i64>,
    },
    /// `tensor.concat` of inputs 0 and 1 along `dim`.
    Concat {
        /// The concatenated dim.
        dim: usize,
    },
    /// Inputs 0 and 1 concatenated along `dim` with `tensor.empty` and two
    /// `tensor.insert_slice`s.
    InsertConcat {
        /// The concatenated dim.
        dim: usize,
    },
    /// `tensor.extract_slice` of input 0.
    Slice {
        /// Offset per dim.
        offsets: Vec<i64>,
        /// Stride per dim.
        strides: Vec<i64>,
    },
    /// `tensor.collapse_shape` merging dims `dim` and `dim + 1`.
    Collapse {
        /// The first merged dim.
        dim: usize,
    },
    /// `tensor.expand_shape` splitting dim `dim` into `(outer, rest)`.
    Expand {
        /// The split dim.
        dim: usize,
        /// Extent of the outer new dim.
        outer: i64,
    },
    /// A permutation of input 0's dims: `linalg.transpose`, or a
    /// `linalg.generic` with a permuted input map.
    Transpose {
        /// Result dim `i` is input dim `permutation[i]`.
        permutation: Vec<usize>,
        /// Written as a `linalg.generic`.
        as_generic: bool,
    },
    /// 2-D pooling of input 0 with a square window and equal stride.
    Pool {
        /// Max or sum.
        kind: Pool,
        /// Window extent and stride.
        window: i64,
    },
    /// The mean over dims 2.., kept as unit dims.
    SpatialMean,
    /// `x * s`, where `s` is input 1's element at `index` read with
    /// `tensor.extract`.
    ScaleByElement {
        /// The element of input 1.
        index: Vec<i64>,
    },
}

/// One op of a graph and its result's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Its tensor inputs.
    pub inputs: Vec<Ref>,
    /// Its result's shape.
    pub shape: Vec<i64>,
}

/// A random conv network: one function from `arguments` to `results`.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The seed it was generated from.
    pub seed: u64,
    /// Element type of every tensor.
    pub element: Element,
    /// Argument shapes.
    pub arguments: Vec<Vec<i64>>,
    /// Ops, each reading arguments and earlier nodes only.
    pub nodes: Vec<Node>,
    /// Returned values.
    pub results: Vec<Ref>,
}

/// The epsilon of the generated norms. A group whose values are all equal
/// (a padded batch, say) normalises to its rounding noise times
/// 1/sqrt(eps): with torch's 1e-5 that is ~300x, and two correct programs
/// that sum in different orders disagree visibly; 0.1 keeps it ~3x. Layout
/// bugs still change the results by O(1).
const NORM_EPS: &str = "1.000000e-01";

/// Tensors larger than this are not generated (run time stays small).
const MAX_ELEMENTS: i64 = 6000;

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

impl Graph {
    /// The shape of `r`.
    pub fn shape(&self, r: Ref) -> &[i64] {
        match r {
            Ref::Arg(i) => &self.arguments[i],
            Ref::Node(i) => &self.nodes[i].shape,
        }
    }

    /// Number of convs.
    pub fn convs(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Conv(_)))
            .count()
    }

    /// The graph as an MLIR module with one public function, `@graph`.
    pub fn to_mlir(&self) -> String {
        let mut e = Emitter {
            graph: self,
            t: self.element.name(),
            out: String::new(),
        };
        e.function();
        e.out
    }
}

/// `tensor<1x4x8x8xf32>`.
fn tensor_type(shape: &[i64], element: &str) -> String {
    let mut s = String::from("tensor<");
    for e in shape {
        let _ = write!(s, "{e}x");
    }
    s.push_str(element);
    s.push('>');
    s
}

/// `affine_map<(d0, d1, d2) -> (exprs)>`.
fn map(rank: usize, exprs: &[String]) -> String {
    let dims: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
    format!(
        "affine_map<({}) -> ({})>",
        dims.join(", "),
        exprs.join(", ")
    )
}

fn identity(rank: usize) -> String {
    let exprs: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
    map(rank, &exprs)
}

fn iterators(kinds: &[bool]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .map(|&reduction| {
            if reduction {
                "\"reduction\""
            } else {
                "\"parallel\""
            }
        })
        .collect();
    format!("[{}]", names.join(", "))
}

fn list(values: &[i64]) -> String {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// The reassociation of `groups` groups where dims `dim` and `dim + 1` of
/// the larger shape form one group: `[[0], [1, 2], [3]]` for (3, 1).
fn pair_merged(groups: usize, dim: usize) -> String {
    let items: Vec<String> = (0..groups)
        .map(|d| match d.cmp(&dim) {
            std::cmp::Ordering::Less => format!("[{d}]"),
            std::cmp::Ordering::Equal => format!("[{d}, {}]", d + 1),
            std::cmp::Ordering::Greater => format!("[{}]", d + 1),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn join_dims(dims: impl IntoIterator<Item = usize>) -> String {
    let items: Vec<String> = dims.into_iter().map(|d| d.to_string()).collect();
    format!("[{}]", items.join(", "))
}

struct Emitter<'g> {
    graph: &'g Graph,
    t: &'static str,
    out: String,
}

impl Emitter<'_> {
    fn ty(&self, shape: &[i64]) -> String {
        tensor_type(shape, self.t)
    }

    fn name(r: Ref) -> String {
        match r {
            Ref::Arg(i) => format!("%a{i}"),
            Ref::Node(i) => format!("%v{i}"),
        }
    }

    fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str("  ");
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    /// A constant tensor of `shape` with values from `seed`, scaled by
    /// `scale`, as a hex dense literal.
    fn constant(&mut self, name: &str, shape: &[i64], seed: u64, scale: f32) {
        let mut rng = SplitMix64::new(seed);
        let count: i64 = shape.iter().product();
        let mut hex = String::with_capacity(count as usize * 8 + 2);
        hex.push_str("0x");
        for _ in 0..count {
            let value = rng.next_symmetric_f32() * scale;
            match self.graph.element {
                Element::F32 => {
                    for b in value.to_le_bytes() {
                        let _ = write!(hex, "{b:02X}");
                    }
                }
                Element::F16 => {
                    for b in f32_to_f16(value).to_le_bytes() {
                        let _ = write!(hex, "{b:02X}");
                    }
                }
            }
        }
        let ty = self.ty(shape);
        self.line(format!("{name} = arith.constant dense<\"{hex}\"> : {ty}"));
    }

    /// `name = tensor.empty()` and, with `fill`, `name_f = linalg.fill`.
    fn empty(&mut self, name: &str, shape: &[i64], fill: Option<&str>) -> String {
        let ty = self.ty(shape);
        self.line(format!("{name} = tensor.empty() : {ty}"));
        match fill {
            None => name.to_string(),
            Some(value) => {
                self.line(format!(
                    "{name}_f = linalg.fill ins({value} : {t}) outs({name} : {ty}) -> {ty}",
                    t = self.t
                ));
                format!("{name}_f")
            }
        }
    }

    /// A `linalg.generic` over `rank` loops: `inputs` with their maps,
    /// `init` with the output map, `body` lines computing `%r` from block
    /// arguments `%in0..` and `%out`.
    #[allow(clippy::too_many_arguments)]
    fn generic(
        &mut self,
        result: &str,
        rank: usize,
        reductions: &[bool],
        inputs: &[(String, Vec<i64>, String)],
        init: &str,
        out_shape: &[i64],
        out_map: &str,
        body: &[String],
    ) {
        let mut maps: Vec<&str> = inputs.iter().map(|(_, _, m)| m.as_str()).collect();
        maps.push(out_map);
        let kinds = if reductions.is_empty() {
            vec![false; rank]
        } else {
            reductions.to_vec()
        };
        let ins = if inputs.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = inputs.iter().map(|(n, _, _)| n.as_str()).collect();
            let types: Vec<String> = inputs.iter().map(|(_, s, _)| self.ty(s)).collect();
            format!(" ins({} : {})", names.join(", "), types.join(", "))
        };
        let out_ty = self.ty(out_shape);
        self.line(format!(
            "{result} = linalg.generic {{indexing_maps = [{}], iterator_types = {}}}{ins} outs({init} : {out_ty}) {{",
            maps.join(", "),
            iterators(&kinds)
        ));
        let mut args: Vec<String> = (0..inputs.len())
            .map(|i| format!("%in{i}: {}", self.t))
            .collect();
        args.push(format!("%out: {}", self.t));
        self.out
            .push_str(&format!("  ^bb0({}):\n", args.join(", ")));
        for line in body {
            self.line(format!("  {line}"));
        }
        self.line(format!("  linalg.yield %r : {}", self.t));
        self.line(format!("}} -> {out_ty}"));
    }

    fn function(&mut self) {
        let g = self.graph;
        let args: Vec<String> = g
            .arguments
            .iter()
            .enumerate()
            .map(|(i, s)| format!("%a{i}: {}", self.ty(s)))
            .collect();
        let results: Vec<String> = g.results.iter().map(|&r| self.ty(g.shape(r))).collect();
        let _ = writeln!(
            self.out,
            "// chlast-fuzz graph, seed {}: {} ops, {} convs\nfunc.func @graph({}) -> ({}) {{",
            g.seed,
            g.nodes.len(),
            g.convs(),
            args.join(", "),
            results.join(", ")
        );
        let t = self.t;
        self.line(format!("%zero = arith.constant 0.0 : {t}"));
        self.line(format!("%one = arith.constant 1.0 : {t}"));
        for (i, n) in g.nodes.iter().enumerate() {
            self.node(i, n);
        }
        let names: Vec<String> = g.results.iter().map(|&r| Self::name(r)).collect();
        self.line(format!(
            "return {} : {}",
            names.join(", "),
            results.join(", ")
        ));
        self.out.push_str("}\n");
    }

    fn node(&mut self, i: usize, n: &Node) {
        let g = self.graph;
        let v = format!("%v{i}");
        let x = Self::name(n.inputs[0]);
        let xs = g.shape(n.inputs[0]).to_vec();
        let out = n.shape.clone();
        let rank = xs.len();
        let t = self.t;
        match &n.op {
            Op::Conv(c) => self.conv(&v, &x, &xs, &out, c),
            Op::Pad { low, high, value } => {
                let idx: Vec<String> = (0..rank).map(|d| format!("%i{d}: index")).collect();
                self.line(format!(
                    "{v} = tensor.pad {x} low{} high{} {{",
                    list(low),
                    list(high)
                ));
                self.out.push_str(&format!("  ^bb0({}):\n", idx.join(", ")));
                match value {
                    PadValue::Constant(c) => {
                        self.line(format!("  %c = arith.constant {c:.6e} : {t}"));
                    }
                    PadValue::ByPosition => {
                        let d = 1.min(rank - 1);
                        self.line(format!("  %k = arith.index_cast %i{d} : index to i32"));
                        self.line(format!("  %c = arith.sitofp %k : i32 to {t}"));
                    }
                }
                self.line(format!("  tensor.yield %c : {t}"));
                let (xt, ot) = (self.ty(&xs), self.ty(&out));
                self.line(format!("}} : {xt} to {ot}"));
            }
            Op::Unary(f) => {
                let e = self.empty(&format!("{v}_e"), &out, None);
                let body: Vec<String> = match f {
                    Unary::Relu => vec![format!("%r = arith.maximumf %in0, %zero : {t}")],
                    Unary::Silu => vec![
                        format!("%n = arith.negf %in0 : {t}"),
                        format!("%x = math.exp %n : {t}"),
                        format!("%d = arith.addf %x, %one : {t}"),
                        format!("%r = arith.divf %in0, %d : {t}"),
                    ],
                    Unary::Tanh => vec![format!("%r = math.tanh %in0 : {t}")],
                    Unary::Half => vec![
                        format!("%h = arith.constant 5.000000e-01 : {t}"),
                        format!("%r = arith.mulf %in0, %h : {t}"),
                    ],
                };
                let id = identity(rank);
                self.generic(&v, rank, &[], &[(x, xs, id.clone())], &e, &out, &id, &body);
            }
            Op::Binary(f) => {
                let y = Self::name(n.inputs[1]);
                let e = self.empty(&format!("{v}_e"), &out, None);
                let op = match f {
                    Binary::Add => "addf",
                    Binary::Mul => "mulf",
                    Binary::Sub => "subf",
                };
                let id = identity(rank);
                let body = vec![format!("%r = arith.{op} %in0, %in1 : {t}")];
                let inputs = [(x, xs.clone(), id.clone()), (y, xs, id.clone())];
                self.generic(&v, rank, &[], &inputs, &e, &out, &id, &body);
            }
            Op::ChannelAffine { seed } => {
                let d = 1.min(rank - 1);
                let c = xs[d];
                self.constant(&format!("{v}_s"), &[c], *seed, 1.0);
                self.constant(&format!("{v}_b"), &[c], seed ^ 0xb1a5, 0.5);
                let e = self.empty(&format!("{v}_e"), &out, None);
                let id = identity(rank);
                let per_channel = map(rank, &[format!("d{d}")]);
                let inputs = [
                    (x, xs, id.clone()),
                    (format!("{v}_s"), vec![c], per_channel.clone()),
                    (format!("{v}_b"), vec![c], per_channel),
                ];
                let body = vec![
                    format!("%m = arith.mulf %in0, %in1 : {t}"),
                    format!("%r = arith.addf %m, %in2 : {t}"),
                ];
                self.generic(&v, rank, &[], &inputs, &e, &out, &id, &body);
            }
            Op::GroupNorm { groups } => self.group_norm(&v, &x, &xs, *groups),
            Op::ChannelRmsNorm => self.rms_norm(&v, &x, &xs),
            Op::Upsample { factors } => {
                let e = self.empty(&format!("{v}_e"), &out, None);
                let mut body = Vec::new();
                let mut indices = Vec::new();
                for (d, f) in factors.iter().enumerate() {
                    body.push(format!("%i{d} = linalg.index {d} : index"));
                    if *f == 1 {
                        indices.push(format!("%i{d}"));
                    } else {
                        body.push(format!("%f{d} = arith.constant {f} : index"));
                        body.push(format!("%s{d} = arith.divui %i{d}, %f{d} : index"));
                        indices.push(format!("%s{d}"));
                    }
                }
                body.push(format!(
                    "%r = tensor.extract {x}[{}] : {}",
                    indices.join(", "),
                    self.ty(&xs)
                ));
                self.generic(&v, rank, &[], &[], &e, &out, &identity(rank), &body);
            }
            Op::Concat { dim } => {
                let y = Self::name(n.inputs[1]);
                let ys = g.shape(n.inputs[1]).to_vec();
                let (xt, yt, ot) = (self.ty(&xs), self.ty(&ys), self.ty(&out));
                self.line(format!(
                    "{v} = tensor.concat dim({dim}) {x}, {y} : ({xt}, {yt}) -> {ot}"
                ));
            }
            Op::InsertConcat { dim } => {
                let y = Self::name(n.inputs[1]);
                let ys = g.shape(n.inputs[1]).to_vec();
                let e = self.empty(&format!("{v}_e"), &out, None);
                let ones = vec![1; rank];
                let zeros = vec![0; rank];
                let mut second = vec![0; rank];
                second[*dim] = xs[*dim];
                let (xt, yt, ot) = (self.ty(&xs), self.ty(&ys), self.ty(&out));
                self.line(format!(
                    "{v}_i = tensor.insert_slice {x} into {e}{} {} {} : {xt} into {ot}",
                    list(&zeros),
                    list(&xs),
                    list(&ones)
                ));
                self.line(format!(
                    "{v} = tensor.insert_slice {y} into {v}_i{} {} {} : {yt} into {ot}",
                    list(&second),
                    list(&ys),
                    list(&ones)
                ));
            }
            Op::Slice { offsets, strides } => {
                let (xt, ot) = (self.ty(&xs), self.ty(&out));
                self.line(format!(
                    "{v} = tensor.extract_slice {x}{} {} {} : {xt} to {ot}",
                    list(offsets),
                    list(&out),
                    list(strides)
                ));
            }
            Op::Collapse { dim } => {
                let (xt, ot) = (self.ty(&xs), self.ty(&out));
                self.line(format!(
                    "{v} = tensor.collapse_shape {x} {} : {xt} into {ot}",
                    pair_merged(rank - 1, *dim)
                ));
            }
            Op::Expand { dim, .. } => {
                let (xt, ot) = (self.ty(&xs), self.ty(&out));
                self.line(format!(
                    "{v} = tensor.expand_shape {x} {} output_shape {} : {xt} into {ot}",
                    pair_merged(rank, *dim),
                    list(&out)
                ));
            }
            Op::Transpose {
                permutation,
                as_generic,
            } => {
                let e = self.empty(&format!("{v}_e"), &out, None);
                if *as_generic {
                    // Output dim i reads input dim permutation[i]: the input
                    // map sends loop d_i to input position permutation[i].
                    let mut exprs = vec![String::new(); rank];
                    for (i, &p) in permutation.iter().enumerate() {
                        exprs[p] = format!("d{i}");
                    }
                    let body = vec![format!("%r = arith.addf %in0, %zero : {t}")];
                    let inputs = [(x, xs, map(rank, &exprs))];
                    self.generic(&v, rank, &[], &inputs, &e, &out, &identity(rank), &body);
                } else {
                    let (xt, ot) = (self.ty(&xs), self.ty(&out));
                    self.line(format!(
                        "{v} = linalg.transpose ins({x} : {xt}) outs({e} : {ot}) permutation = {}",
                        join_dims(permutation.iter().copied())
                    ));
                }
            }
            Op::Pool { kind, window } => {
                let init = match (kind, self.graph.element) {
                    (Pool::Sum, _) => "%zero".to_string(),
                    (Pool::Max, Element::F32) => {
                        self.line(format!("{v}_ninf = arith.constant 0xFF800000 : f32"));
                        format!("{v}_ninf")
                    }
                    (Pool::Max, Element::F16) => {
                        self.line(format!("{v}_ninf = arith.constant 0xFC00 : f16"));
                        format!("{v}_ninf")
                    }
                };
                let f = self.empty(&format!("{v}_e"), &out, Some(&init));
                let w = self.empty(&format!("{v}_w"), &[*window, *window], None);
                let name = match kind {
                    Pool::Max => "pooling_nchw_max",
                    Pool::Sum => "pooling_nchw_sum",
                };
                let (xt, wt, ot) = (self.ty(&xs), self.ty(&[*window, *window]), self.ty(&out));
                self.line(format!(
                    "{v} = linalg.{name} {{dilations = dense<1> : vector<2xi64>, strides = dense<{window}> : vector<2xi64>}} ins({x}, {w} : {xt}, {wt}) outs({f} : {ot}) -> {ot}"
                ));
            }
            Op::SpatialMean => {
                let f = self.empty(&format!("{v}_e"), &out, Some("%zero"));
                let reductions: Vec<bool> = (0..rank).map(|d| d >= 2).collect();
                let out_exprs: Vec<String> = (0..rank)
                    .map(|d| if d < 2 { format!("d{d}") } else { "0".into() })
                    .collect();
                let body = vec![format!("%r = arith.addf %in0, %out : {t}")];
                let inputs = [(x, xs.clone(), identity(rank))];
                let sum = format!("{v}_sum");
                self.generic(
                    &sum,
                    rank,
                    &reductions,
                    &inputs,
                    &f,
                    &out,
                    &map(rank, &out_exprs),
                    &body,
                );
                let count: i64 = xs[2..].iter().product();
                let e = self.empty(&format!("{v}_e2"), &out, None);
                let body = vec![
                    format!("%n = arith.constant {:.6e} : {t}", count as f32),
                    format!("%r = arith.divf %in0, %n : {t}"),
                ];
                let id = identity(rank);
                self.generic(
                    &v,
                    rank,
                    &[],
                    &[(sum, out.clone(), id.clone())],
                    &e,
                    &out,
                    &id,
                    &body,
                );
            }
            Op::ScaleByElement { index } => {
                let y = Self::name(n.inputs[1]);
                let ys = g.shape(n.inputs[1]).to_vec();
                let mut names = Vec::new();
                for (d, k) in index.iter().enumerate() {
                    self.line(format!("{v}_c{d} = arith.constant {k} : index"));
                    names.push(format!("{v}_c{d}"));
                }
                let yt = self.ty(&ys);
                self.line(format!(
                    "{v}_s = tensor.extract {y}[{}] : {yt}",
                    names.join(", ")
                ));
                let e = self.empty(&format!("{v}_e"), &out, None);
                let body = vec![format!("%r = arith.mulf %in0, {v}_s : {t}")];
                let id = identity(rank);
                self.generic(&v, rank, &[], &[(x, xs, id.clone())], &e, &out, &id, &body);
            }
        }
    }

    fn conv(&mut self, v: &str, x: &str, xs: &[i64], out: &[i64], c: &Conv) {
        let spatial = xs.len() - 2;
        let channels = xs[1];
        let t = self.t;
        let fan_in: i64 = c.kernel.iter().product::<i64>()
            * match c.kind {
                ConvKind::Depthwise => 1,
                ConvKind::Grouped(g) => channels / g,
                _ => channels,
            };
        let scale = 1.0 / (fan_in.max(1) as f32).sqrt();
        let init = match c.bias {
            Bias::None => self.empty(&format!("{v}_e"), out, Some("%zero")),
            Bias::Init => {
                self.constant(
                    &format!("{v}_b"),
                    &[c.out_channels],
                    c.weight_seed ^ 0xb1a5,
                    0.5,
                );
                let e = self.empty(&format!("{v}_e"), out, None);
                let dims = (0..out.len()).filter(|&d| d != 1);
                let (bt, ot) = (self.ty(&[c.out_channels]), self.ty(out));
                self.line(format!(
                    "{v}_f = linalg.broadcast ins({v}_b : {bt}) outs({e} : {ot}) dimensions = {}",
                    join_dims(dims)
                ));
                format!("{v}_f")
            }
        };
        let attrs = format!(
            "{{dilations = dense<{}> : vector<{spatial}xi64>, strides = dense<{}> : vector<{spatial}xi64>}}",
            list(&c.dilation),
            list(&c.stride)
        );
        let letters = ["w", "hw", "dhw"][spatial - 1];
        let (xt, ot) = (self.ty(xs), self.ty(out));
        match c.kind {
            ConvKind::Plain => {
                let mut ws = vec![c.out_channels, channels];
                ws.extend(&c.kernel);
                self.constant(&format!("{v}_w"), &ws, c.weight_seed, scale);
                let wt = self.ty(&ws);
                self.line(format!(
                    "{v} = linalg.conv_{spatial}d_nc{letters}_fc{letters} {attrs} ins({x}, {v}_w : {xt}, {wt}) outs({init} : {ot}) -> {ot}"
                ));
            }
            ConvKind::Depthwise => {
                let mut ws = vec![channels];
                ws.extend(&c.kernel);
                self.constant(&format!("{v}_w"), &ws, c.weight_seed, scale);
                let wt = self.ty(&ws);
                self.line(format!(
                    "{v} = linalg.depthwise_conv_{spatial}d_nc{letters}_c{letters} {attrs} ins({x}, {v}_w : {xt}, {wt}) outs({init} : {ot}) -> {ot}"
                ));
            }
            ConvKind::Grouped(g) => {
                let per_in = channels / g;
                let per_out = c.out_channels / g;
                let ws = vec![c.out_channels, per_in, c.kernel[0], c.kernel[1]];
                self.constant(&format!("{v}_w"), &ws, c.weight_seed, scale);
                let xg = vec![xs[0], g, per_in, xs[2], xs[3]];
                let wg = vec![g, per_out, per_in, c.kernel[0], c.kernel[1]];
                let og = vec![out[0], g, per_out, out[2], out[3]];
                let (xgt, wt, wgt, ogt) = (self.ty(&xg), self.ty(&ws), self.ty(&wg), self.ty(&og));
                self.line(format!(
                    "{v}_x = tensor.expand_shape {x} [[0], [1, 2], [3], [4]] output_shape {} : {xt} into {xgt}",
                    list(&xg)
                ));
                self.line(format!(
                    "{v}_wg = tensor.expand_shape {v}_w [[0, 1], [2], [3], [4]] output_shape {} : {wt} into {wgt}",
                    list(&wg)
                ));
                self.line(format!(
                    "{v}_o = tensor.expand_shape {init} [[0], [1, 2], [3], [4]] output_shape {} : {ot} into {ogt}",
                    list(&og)
                ));
                self.line(format!(
                    "{v}_g = linalg.conv_2d_ngchw_gfchw {attrs} ins({v}_x, {v}_wg : {xgt}, {wgt}) outs({v}_o : {ogt}) -> {ogt}"
                ));
                self.line(format!(
                    "{v} = tensor.collapse_shape {v}_g [[0], [1, 2], [3], [4]] : {ogt} into {ot}"
                ));
            }
            ConvKind::Generic => {
                let mut ws = vec![c.out_channels, channels];
                ws.extend(&c.kernel);
                self.constant(&format!("{v}_w"), &ws, c.weight_seed, scale);
                // Loops (n, f, h, w, c, kh, kw).
                let sp = |i: usize| {
                    format!(
                        "d{} * {} + d{} * {}",
                        2 + i,
                        c.stride[i],
                        5 + i,
                        c.dilation[i]
                    )
                };
                let image = map(7, &["d0".into(), "d4".into(), sp(0), sp(1)]);
                let filter = map(7, &["d1".into(), "d4".into(), "d5".into(), "d6".into()]);
                let output = map(7, &["d0".into(), "d1".into(), "d2".into(), "d3".into()]);
                let body = vec![
                    format!("%m = arith.mulf %in0, %in1 : {t}"),
                    format!("%r = arith.addf %out, %m : {t}"),
                ];
                let inputs = [
                    (x.to_string(), xs.to_vec(), image),
                    (format!("{v}_w"), ws, filter),
                ];
                let kinds = [false, false, false, false, true, true, true];
                self.generic(v, 7, &kinds, &inputs, &init, out, &output, &body);
            }
        }
    }

    fn group_norm(&mut self, v: &str, x: &str, xs: &[i64], groups: i64) {
        let t = self.t;
        let rank = xs.len();
        let rest: i64 = xs[1..].iter().product();
        let per_group = rest / groups;
        let flat = vec![xs[0], rest];
        let grouped = vec![xs[0], groups, per_group];
        let stats = vec![xs[0], groups, 1];
        let groups_list: Vec<usize> = (1..rank).collect();
        let (xt, ft, gt) = (self.ty(xs), self.ty(&flat), self.ty(&grouped));
        self.line(format!(
            "{v}_c = tensor.collapse_shape {x} [[0], {}] : {xt} into {ft}",
            join_dims(groups_list.iter().copied())
        ));
        self.line(format!(
            "{v}_x = tensor.expand_shape {v}_c [[0], [1, 2]] output_shape {} : {ft} into {gt}",
            list(&grouped)
        ));
        let id3 = identity(3);
        let to_stats = map(3, &["d0".into(), "d1".into(), "0".into()]);
        let reduce = [false, false, true];
        let n = format!("%n = arith.constant {:.6e} : {t}", per_group as f32);
        // mean
        let z = self.empty(&format!("{v}_z"), &stats, Some("%zero"));
        let sum = vec![format!("%r = arith.addf %in0, %out : {t}")];
        let inputs = [(format!("{v}_x"), grouped.clone(), id3.clone())];
        self.generic(
            &format!("{v}_sum"),
            3,
            &reduce,
            &inputs,
            &z,
            &stats,
            &to_stats,
            &sum,
        );
        let e = self.empty(&format!("{v}_ge"), &grouped, None);
        let body = vec![
            n.clone(),
            "%m = arith.divf %in1, %n : ".to_string() + t,
            format!("%r = arith.subf %in0, %m : {t}"),
        ];
        let inputs = [
            (format!("{v}_x"), grouped.clone(), id3.clone()),
            (format!("{v}_sum"), stats.clone(), to_stats.clone()),
        ];
        self.generic(
            &format!("{v}_xc"),
            3,
            &[],
            &inputs,
            &e,
            &grouped,
            &id3,
            &body,
        );
        // variance
        let z2 = self.empty(&format!("{v}_z2"), &stats, Some("%zero"));
        let sq = vec![
            format!("%s = arith.mulf %in0, %in0 : {t}"),
            format!("%r = arith.addf %s, %out : {t}"),
        ];
        let inputs = [(format!("{v}_xc"), grouped.clone(), id3.clone())];
        self.generic(
            &format!("{v}_var"),
            3,
            &reduce,
            &inputs,
            &z2,
            &stats,
            &to_stats,
            &sq,
        );
        let e2 = self.empty(&format!("{v}_ge2"), &grouped, None);
        let body = vec![
            n,
            format!("%eps = arith.constant {NORM_EPS} : {t}"),
            format!("%m = arith.divf %in1, %n : {t}"),
            format!("%a = arith.addf %m, %eps : {t}"),
            format!("%s = math.rsqrt %a : {t}"),
            format!("%r = arith.mulf %in0, %s : {t}"),
        ];
        let inputs = [
            (format!("{v}_xc"), grouped.clone(), id3.clone()),
            (format!("{v}_var"), stats.clone(), to_stats),
        ];
        self.generic(
            &format!("{v}_y"),
            3,
            &[],
            &inputs,
            &e2,
            &grouped,
            &id3,
            &body,
        );
        self.line(format!(
            "{v}_yc = tensor.collapse_shape {v}_y [[0], [1, 2]] : {gt} into {ft}"
        ));
        self.line(format!(
            "{v} = tensor.expand_shape {v}_yc [[0], {}] output_shape {} : {ft} into {xt}",
            join_dims(groups_list.iter().copied()),
            list(xs)
        ));
    }

    fn rms_norm(&mut self, v: &str, x: &str, xs: &[i64]) {
        let t = self.t;
        let rank = xs.len();
        let mut stats = xs.to_vec();
        stats[1] = 1;
        let to_stats: Vec<String> = (0..rank)
            .map(|d| if d == 1 { "0".into() } else { format!("d{d}") })
            .collect();
        let to_stats = map(rank, &to_stats);
        let reductions: Vec<bool> = (0..rank).map(|d| d == 1).collect();
        let z = self.empty(&format!("{v}_z"), &stats, Some("%zero"));
        let sq = vec![
            format!("%s = arith.mulf %in0, %in0 : {t}"),
            format!("%r = arith.addf %s, %out : {t}"),
        ];
        let id = identity(rank);
        let inputs = [(x.to_string(), xs.to_vec(), id.clone())];
        self.generic(
            &format!("{v}_ss"),
            rank,
            &reductions,
            &inputs,
            &z,
            &stats,
            &to_stats,
            &sq,
        );
        let e = self.empty(&format!("{v}_e"), xs, None);
        let body = vec![
            format!("%n = arith.constant {:.6e} : {t}", xs[1] as f32),
            format!("%eps = arith.constant {NORM_EPS} : {t}"),
            format!("%m = arith.divf %in1, %n : {t}"),
            format!("%a = arith.addf %m, %eps : {t}"),
            format!("%s = math.rsqrt %a : {t}"),
            format!("%r = arith.mulf %in0, %s : {t}"),
        ];
        let inputs = [
            (x.to_string(), xs.to_vec(), id.clone()),
            (format!("{v}_ss"), stats, to_stats),
        ];
        self.generic(v, rank, &[], &inputs, &e, xs, &id, &body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_graph() {
        assert_eq!(generate(42), generate(42));
        assert_eq!(generate(42).to_mlir(), generate(42).to_mlir());
    }

    #[test]
    fn shapes_stay_small_and_graphs_have_ops() {
        let mut convs = 0;
        for seed in 0..300 {
            let g = generate(seed);
            assert!(!g.nodes.is_empty(), "seed {seed}");
            for n in &g.nodes {
                assert!(n.shape.iter().product::<i64>() <= MAX_ELEMENTS);
                assert!(n.shape.iter().all(|&e| e >= 0));
            }
            convs += g.convs();
        }
        assert!(convs > 300, "{convs} convs in 300 graphs");
    }
}
