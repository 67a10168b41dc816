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
//!
//! Files: this one (the data model), [`generate`] (the seeded generator),
//! [`emit`] (MLIR text).

mod emit;
mod generate;

pub use generate::generate;

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
        emit::to_mlir(self)
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
