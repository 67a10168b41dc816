//! Generated benchmark graphs: chains of conv blocks written as MLIR text in
//! torch-mlir's linalg-on-tensors style, so that `chlast-opt`, IREE or any
//! other tool can be run on the same inputs (`chlast-gen` writes them to
//! files; the criterion benches parse them directly).
//!
//! One block, for a 2-D chain with `C` channels and `H x W` images:
//!
//! ```mlir
//! %padded_i = tensor.pad %x_i low[0, 0, 1, 1] high[0, 0, 1, 1] { ... tensor.yield %zero } : ...
//! %w_i = arith.constant dense<...> : tensor<CxCx3x3xf32>          // one constant per block
//! %b_i = arith.constant dense<...> : tensor<Cxf32>
//! %e_i = tensor.empty() : tensor<1xCxHxWxf32>
//! %bias_i = linalg.broadcast ins(%b_i) outs(%e_i) dimensions = [0, 2, 3]
//! %conv_i = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = ...}
//!             ins(%padded_i, %w_i) outs(%bias_i)                    // bias as the conv's outs
//! %silu_i = linalg.generic { x / (1 + exp(-x)) } ins(%conv_i) outs(%e_i)
//! %x_{i+1} = linalg.generic { a + b } ins(%silu_i, %x_i) outs(%e_i)   // residual add
//! ```
//!
//! The function takes the chain's input as its argument and returns the last
//! block's result. 3-D chains use `linalg.conv_3d_ncdhw_fcdhw` and pad depth,
//! height and width. Every block's filter and bias are splat constants with a
//! value of their own (0.01 and 0.1 plus a tiny per-block step), so files
//! stay small and `cse` cannot merge the blocks' weights.

use std::fmt::Write as _;
use std::io;

/// Top-level ops (in the function body) per block: pad, filter constant,
/// bias constant, `tensor.empty`, broadcast, conv, SiLU generic, residual
/// add generic.
pub const OPS_PER_BLOCK: usize = 8;

/// Top-level ops outside the blocks: the zero and one scalars and `return`.
pub const OPS_OUTSIDE_BLOCKS: usize = 3;

/// What to generate: a chain of `blocks` conv blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// Number of blocks (pad -> conv -> SiLU -> residual add).
    pub blocks: usize,
    /// Channels of every activation (input and output of every conv).
    pub channels: i64,
    /// Spatial sizes: 2 entries (`H, W`) for conv2d, 3 (`D, H, W`) for conv3d.
    pub spatial: Vec<i64>,
}

/// Why a [`ChainSpec`] cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Only conv2d and conv3d chains exist.
    #[error("--dims must be 2 or 3, not {0}")]
    Dims(usize),
    /// Sizes must be positive.
    #[error("{what} must be positive, not {value}")]
    NotPositive {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: i64,
    },
}

impl ChainSpec {
    /// The default chain of `blocks` blocks in `dims` spatial dimensions:
    /// 2-D with 32 channels and 16x16 images, 3-D with 16 channels and
    /// 4x8x8 volumes.
    pub fn new(blocks: usize, dims: usize) -> Result<Self, SpecError> {
        let (channels, spatial) = match dims {
            2 => (32, vec![16, 16]),
            3 => (16, vec![4, 8, 8]),
            other => return Err(SpecError::Dims(other)),
        };
        Ok(Self {
            blocks,
            channels,
            spatial,
        })
    }

    /// Number of spatial dimensions (2 or 3).
    pub fn dims(&self) -> usize {
        self.spatial.len()
    }

    /// Checks dims and sizes.
    pub fn validate(&self) -> Result<(), SpecError> {
        if !(2..=3).contains(&self.dims()) {
            return Err(SpecError::Dims(self.dims()));
        }
        if self.channels <= 0 {
            return Err(SpecError::NotPositive {
                what: "channels",
                value: self.channels,
            });
        }
        if let Some(&s) = self.spatial.iter().find(|&&s| s <= 0) {
            return Err(SpecError::NotPositive {
                what: "spatial size",
                value: s,
            });
        }
        Ok(())
    }

    /// Number of top-level ops in the generated function body.
    pub fn op_count(&self) -> usize {
        self.blocks * OPS_PER_BLOCK + OPS_OUTSIDE_BLOCKS
    }

    /// The function's name, e.g. `chain2d_100`.
    pub fn function_name(&self) -> String {
        format!("chain{}d_{}", self.dims(), self.blocks)
    }

    /// Bytes of one activation tensor (f32).
    pub fn activation_bytes(&self) -> u64 {
        4 * self.channels as u64 * self.spatial.iter().map(|&s| s as u64).product::<u64>()
    }
}

/// The chain as MLIR text (a module with one function).
pub fn chain(spec: &ChainSpec) -> Result<String, SpecError> {
    spec.validate()?;
    let mut out = String::with_capacity(spec.blocks * 1700 + 1024);
    write_chain_into(spec, &mut out);
    Ok(out)
}

/// Writes the chain as MLIR text to `writer`.
pub fn write_chain(spec: &ChainSpec, writer: &mut impl io::Write) -> io::Result<()> {
    spec.validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // Blocks are rendered in batches to keep memory flat for huge chains.
    let mut buffer = String::with_capacity(1 << 20);
    let text = Renderer::new(spec);
    text.header(&mut buffer);
    for i in 0..spec.blocks {
        text.block(i, &mut buffer);
        if buffer.len() > (1 << 20) {
            writer.write_all(buffer.as_bytes())?;
            buffer.clear();
        }
    }
    text.footer(&mut buffer);
    writer.write_all(buffer.as_bytes())
}

fn write_chain_into(spec: &ChainSpec, out: &mut String) {
    let text = Renderer::new(spec);
    text.header(out);
    for i in 0..spec.blocks {
        text.block(i, out);
    }
    text.footer(out);
}

/// Precomputed type strings and maps for one spec.
struct Renderer<'a> {
    spec: &'a ChainSpec,
    /// `tensor<1xCxHxWxf32>`
    activation: String,
    /// `tensor<1xCx(H+2)x(W+2)xf32>`
    padded: String,
    /// `tensor<CxCx3x3xf32>`
    filter: String,
    /// `tensor<Cxf32>`
    bias: String,
    /// `linalg.conv_2d_nchw_fchw` or `linalg.conv_3d_ncdhw_fcdhw`
    conv: &'static str,
    /// `["parallel", ...]` for the elementwise generics.
    iterators: String,
    /// `[0, 0, 1, 1]`
    low: String,
    /// `[0, 2, 3]` for the bias broadcast.
    broadcast_dims: String,
    /// `%arg1: index, ...` for the pad region.
    pad_args: String,
    /// `vector<2xi64>`
    attr_vector: String,
}

impl<'a> Renderer<'a> {
    fn new(spec: &'a ChainSpec) -> Self {
        let c = spec.channels;
        let rank = spec.dims() + 2;
        let dims = |shape: &[i64]| {
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("x")
        };
        let mut shape = vec![1, c];
        shape.extend(&spec.spatial);
        let mut padded = vec![1, c];
        padded.extend(spec.spatial.iter().map(|s| s + 2));
        let mut filter = vec![c, c];
        filter.extend(std::iter::repeat_n(3, spec.dims()));
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        Self {
            spec,
            activation: format!("tensor<{}xf32>", dims(&shape)),
            padded: format!("tensor<{}xf32>", dims(&padded)),
            filter: format!("tensor<{}xf32>", dims(&filter)),
            bias: format!("tensor<{c}xf32>"),
            conv: if spec.dims() == 2 {
                "linalg.conv_2d_nchw_fchw"
            } else {
                "linalg.conv_3d_ncdhw_fcdhw"
            },
            iterators: list(vec!["\"parallel\"".to_string(); rank]),
            low: list(
                (0..rank)
                    .map(|d| if d < 2 { "0" } else { "1" }.to_string())
                    .collect(),
            ),
            broadcast_dims: list(
                (0..rank)
                    .filter(|&d| d != 1)
                    .map(|d| d.to_string())
                    .collect(),
            ),
            pad_args: (0..rank)
                .map(|d| format!("%i{d}: index"))
                .collect::<Vec<_>>()
                .join(", "),
            attr_vector: format!("vector<{}xi64>", spec.dims()),
        }
    }

    fn header(&self, out: &mut String) {
        let rank = self.spec.dims() + 2;
        let dims: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
        let _ = writeln!(
            out,
            "// Generated by chlast-gen: {} blocks of pad -> {} -> SiLU -> residual add, {} channels, spatial {:?}.",
            self.spec.blocks, self.conv, self.spec.channels, self.spec.spatial
        );
        let _ = writeln!(out, "#id = affine_map<({0}) -> ({0})>", dims.join(", "));
        let _ = writeln!(out, "module {{");
        let _ = writeln!(
            out,
            "  func.func @{}(%arg0: {}) -> {} {{",
            self.spec.function_name(),
            self.activation,
            self.activation
        );
        let _ = writeln!(out, "    %zero = arith.constant 0.000000e+00 : f32");
        let _ = writeln!(out, "    %one = arith.constant 1.000000e+00 : f32");
    }

    fn block(&self, i: usize, out: &mut String) {
        let x = if i == 0 {
            "%arg0".to_string()
        } else {
            format!("%x{i}")
        };
        let Self {
            activation: act,
            padded,
            filter,
            bias,
            conv,
            iterators,
            low,
            broadcast_dims,
            pad_args,
            attr_vector,
            ..
        } = self;
        // Distinct splat values per block (steps of 1e-7 are far above f32's
        // resolution near 0.01 and 0.1 for up to a million blocks).
        let weight = 0.01 + 1e-7 * (i % 1_000_000) as f64;
        let bias_value = 0.1 + 1e-7 * (i % 1_000_000) as f64;
        let _ = write!(
            out,
            r#"    %padded{i} = tensor.pad {x} low{low} high{low} {{
    ^bb0({pad_args}):
      tensor.yield %zero : f32
    }} : {act} to {padded}
    %w{i} = arith.constant dense<{weight:.7e}> : {filter}
    %b{i} = arith.constant dense<{bias_value:.7e}> : {bias}
    %e{i} = tensor.empty() : {act}
    %bias{i} = linalg.broadcast ins(%b{i} : {bias}) outs(%e{i} : {act}) dimensions = {broadcast_dims}
    %conv{i} = {conv} {{dilations = dense<1> : {attr_vector}, strides = dense<1> : {attr_vector}}} ins(%padded{i}, %w{i} : {padded}, {filter}) outs(%bias{i} : {act}) -> {act}
    %silu{i} = linalg.generic {{indexing_maps = [#id, #id], iterator_types = {iterators}}} ins(%conv{i} : {act}) outs(%e{i} : {act}) {{
    ^bb0(%in: f32, %out: f32):
      %n = arith.negf %in : f32
      %ex = math.exp %n : f32
      %d = arith.addf %ex, %one : f32
      %s = arith.divf %in, %d : f32
      linalg.yield %s : f32
    }} -> {act}
    %x{next} = linalg.generic {{indexing_maps = [#id, #id, #id], iterator_types = {iterators}}} ins(%silu{i}, {x} : {act}, {act}) outs(%e{i} : {act}) {{
    ^bb0(%a: f32, %b: f32, %out: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }} -> {act}
"#,
            next = i + 1,
        );
    }

    fn footer(&self, out: &mut String) {
        let result = if self.spec.blocks == 0 {
            "%arg0".to_string()
        } else {
            format!("%x{}", self.spec.blocks)
        };
        let _ = writeln!(out, "    return {result} : {}", self.activation);
        let _ = writeln!(out, "  }}");
        let _ = writeln!(out, "}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use melior::{
        Context,
        dialect::DialectRegistry,
        ir::{Module, operation::OperationLike},
    };

    fn parses(text: &str) -> bool {
        let registry = DialectRegistry::new();
        crate::dialect::register_upstream_and_chlast(&registry);
        let context = Context::new();
        context.append_dialect_registry(&registry);
        context.load_all_available_dialects();
        Module::parse(&context, text).is_some_and(|m| m.as_operation().verify())
    }

    fn count(text: &str, what: &str) -> usize {
        text.matches(what).count()
    }

    #[test]
    fn defaults() {
        let two = ChainSpec::new(5, 2).unwrap();
        assert_eq!((two.channels, two.spatial.clone()), (32, vec![16, 16]));
        assert_eq!(two.activation_bytes(), 32 * 16 * 16 * 4);
        let three = ChainSpec::new(5, 3).unwrap();
        assert_eq!((three.channels, three.spatial.clone()), (16, vec![4, 8, 8]));
        assert_eq!(ChainSpec::new(5, 4), Err(SpecError::Dims(4)));
    }

    #[test]
    fn ops_per_block_2d() {
        let spec = ChainSpec::new(7, 2).unwrap();
        let text = chain(&spec).unwrap();
        assert_eq!(count(&text, "= tensor.pad %"), 7);
        assert_eq!(count(&text, "= linalg.conv_2d_nchw_fchw {"), 7);
        assert_eq!(count(&text, "= linalg.broadcast ins"), 7);
        assert_eq!(count(&text, "= linalg.generic {"), 14);
        assert_eq!(count(&text, "math.exp"), 7);
        assert_eq!(count(&text, ": tensor<32x32x3x3xf32>\n"), 7);
        assert_eq!(count(&text, "dense<1> : vector<2xi64>"), 14);
        assert!(text.contains("func.func @chain2d_7(%arg0: tensor<1x32x16x16xf32>)"));
        assert!(text.contains("return %x7 : tensor<1x32x16x16xf32>"));
        assert!(text.contains("low[0, 0, 1, 1] high[0, 0, 1, 1]"));
        assert!(text.contains("to tensor<1x32x18x18xf32>"));
        assert!(parses(&text));
    }

    #[test]
    fn ops_per_block_3d() {
        let spec = ChainSpec::new(4, 3).unwrap();
        let text = chain(&spec).unwrap();
        assert_eq!(count(&text, "= linalg.conv_3d_ncdhw_fcdhw {"), 4);
        assert_eq!(count(&text, "= tensor.pad %"), 4);
        assert_eq!(count(&text, "dimensions = [0, 2, 3, 4]"), 4);
        assert!(text.contains("low[0, 0, 1, 1, 1] high[0, 0, 1, 1, 1]"));
        assert!(text.contains("to tensor<1x16x6x10x10xf32>"));
        assert!(text.contains(": tensor<16x16x3x3x3xf32>"));
        assert!(parses(&text));
    }

    #[test]
    fn op_count_matches_the_function_body() {
        let spec = ChainSpec {
            blocks: 3,
            channels: 4,
            spatial: vec![5, 6],
        };
        let text = chain(&spec).unwrap();
        // Top-level ops are the 4-space-indented lines that start an op.
        let top_level = text
            .lines()
            .filter(|l| l.starts_with("    %") || l.starts_with("    return"))
            .count();
        assert_eq!(top_level, spec.op_count());
        assert!(parses(&text));
    }

    #[test]
    fn weights_are_distinct_per_block() {
        let text = chain(&ChainSpec::new(3, 2).unwrap()).unwrap();
        let weights: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("= arith.constant dense<") && l.contains("x3x3xf32"))
            .collect();
        assert_eq!(weights.len(), 3);
        assert_ne!(weights[0].split('=').nth(1), weights[1].split('=').nth(1));
    }

    #[test]
    fn writer_and_string_agree() {
        let spec = ChainSpec::new(3000, 2).unwrap();
        let mut bytes = Vec::new();
        write_chain(&spec, &mut bytes).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), chain(&spec).unwrap());
    }

    #[test]
    fn zero_blocks_is_the_identity() {
        let text = chain(&ChainSpec::new(0, 3).unwrap()).unwrap();
        assert!(text.contains("return %arg0"));
        assert!(parses(&text));
    }

    #[test]
    fn rejects_bad_sizes() {
        let spec = ChainSpec {
            blocks: 1,
            channels: 0,
            spatial: vec![4, 4],
        };
        assert!(chain(&spec).is_err());
        let spec = ChainSpec {
            blocks: 1,
            channels: 2,
            spatial: vec![4],
        };
        assert_eq!(chain(&spec), Err(SpecError::Dims(1)));
    }
}
