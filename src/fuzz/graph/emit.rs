//! MLIR text of a graph, in torch-mlir's linalg-on-tensors style.
//!
//! Over 600 lines for a reason: one method per op kind of [`Op`], each
//! writing that op's torch-mlir form; they share the SSA naming and type
//! helpers at the top, and a kind's generator and emitter stay easy to
//! compare when each sits in one place.

use super::*;
use crate::runtime::{random::SplitMix64, tensor::f32_to_f16};
use std::fmt::Write as _;

/// The graph as an MLIR module with one public function, `@graph`.
pub(super) fn to_mlir(graph: &Graph) -> String {
    let mut e = Emitter {
        graph,
        t: graph.element.name(),
        out: String::new(),
    };
    e.function();
    e.out
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
