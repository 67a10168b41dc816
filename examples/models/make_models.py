#!/usr/bin/env python3
"""Generate chlast's example models in torch-mlir's linalg-on-tensors style.

Over 600 lines for a reason: one builder per example model and the op
emitters they share (convs, norms, pads, upsamples, residuals).

Run from anywhere (Python 3, standard library only):

    python3 examples/models/make_models.py            # small models -> examples/models/
    python3 examples/models/make_models.py --large    # benchmark sizes -> examples/models/large/
    python3 examples/models/make_models.py --check    # exit 1 if a file on disk differs
    python3 examples/models/make_models.py --out DIR  # write somewhere else

The output is deterministic: weights come from a SplitMix64 generator seeded
from the model's name, so the same script always writes the same bytes.

Every model is written the way torch-mlir prints real importer output (see
examples/imported/vae_decoder_block2d.torch-mlir.mlir and DESIGN.md,
"What real importer output looks like"):

- constants hoisted to the top of the function, weights as inline
  `arith.constant dense<...>` (hex blobs above 100 elements, lists below);
- `tensor.pad` before every padded conv, bias as a `linalg.broadcast` of a
  1-D constant into the conv's `outs`;
- group norm as collapse/expand to [N, G, C/G * spatial], reduction generics
  into a `linalg.fill`ed [N, G, 1] tensor, divide, subtract, square, rsqrt,
  broadcasts back with (d0, d1, d2) -> (d0, d1), a per-group scale/shift of
  shape [1, G] (as ONNX GroupNormalization-18 imports), collapse/expand back
  to NC..., and a per-channel scale/shift with maps like
  (d0, d1, d2, d3) -> (d1, 0, 0);
- SiLU as a sigmoid generic followed by a multiply generic, ReLU as
  `arith.maximumf` with 0;
- nearest upsample as an output-only generic using `linalg.index`, the
  half-pixel / round-prefer-floor index arithmetic of ONNX Resize and
  `tensor.extract` from the captured source (dims with scale 1 read
  `linalg.index` directly);
- `tensor.concat` on dim 1 for skips, residual adds as `arith.addf` generics;
- SSA names, map aliases and region numbering as MLIR's printer assigns them.

Small models use pseudo-random, non-splat weights (kaiming-uniform-like
bounds sqrt(3 / fan_in), group-norm scales in [0.5, 1.5), shifts in
[-0.1, 0.1)) so that a layout bug changes the results. The `--large`
variants (channels x4, H and W x4, video time x2) use a *splat* constant for
every conv filter, only to keep the files small (the filters alone would be
megabytes of hex); biases and group-norm parameters stay random. Splat
filters make all output channels of a conv equal up to the bias, so the
large files are for timing, not for catching layout bugs; pass
`--large-random-weights` to get random filters in the large files too.
"""

import argparse
import math
import os
import struct
import sys
import textwrap
import zlib

MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------
# Deterministic numbers


class SplitMix64:
    """Tiny, fully specified PRNG so the output never depends on Python's."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * ((self.next_u64() >> 11) / float(1 << 53))


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def apfloat_to_string(x, precision=0, max_padding=3, truncate_zero=True):
    """llvm::APFloat::toString for a finite, nonzero IEEE single x."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    negative = bits >> 31
    biased = (bits >> 23) & 0xFF
    frac = bits & 0x7FFFFF
    if biased == 0:  # denormal
        sig, exp = frac, -149
    else:
        sig, exp = frac | 0x800000, biased - 150
    if not precision:
        precision = 2 + 24 * 59 // 196
    while sig and sig & 1 == 0:  # ignore trailing binary zeros
        sig >>= 1
        exp += 1
    if exp > 0:
        sig <<= exp
        exp = 0
    elif exp < 0:
        sig *= 5 ** (-exp)
    # AdjustToPrecision on the integer: drop whole powers of ten (truncating).
    required = (precision * 196 + 58) // 59
    if sig.bit_length() > required:
        removable = (sig.bit_length() - required) * 59 // 196
        if removable:
            exp += removable
            sig //= 10 ** removable
    digits = str(sig)
    stripped = digits.rstrip("0")
    exp += len(digits) - len(stripped)
    buf = list(reversed(stripped))  # least significant digit first
    # AdjustToPrecision on the digits: round half up.
    n = len(buf)
    if n > precision:
        first = n - precision
        if buf[first - 1] < "5":
            while first < n and buf[first] == "0":
                first += 1
            exp += first
            buf = buf[first:]
        else:
            i = first
            while i != n:
                if buf[i] == "9":
                    first += 1
                    i += 1
                else:
                    buf[i] = chr(ord(buf[i]) + 1)
                    break
            if first == n:
                exp += first
                buf = ["1"]
            else:
                exp += first
                buf = buf[first:]
    nd = len(buf)
    if not max_padding:
        scientific = True
    elif exp >= 0:
        scientific = exp > max_padding or nd + exp > precision
    else:
        msd = exp + nd - 1
        scientific = msd < 0 and -msd > max_padding
    out = "-" if negative else ""
    if scientific:
        exp += nd - 1
        out += buf[nd - 1] + "."
        if nd == 1 and truncate_zero:
            out += "0"
        else:
            out += "".join(buf[nd - 1 - i] for i in range(1, nd))
        if not truncate_zero and precision > nd - 1:
            out += "0" * (precision - nd + 1)
        out += "E" if truncate_zero else "e"
        out += "+" if exp >= 0 else "-"
        e = str(abs(exp))
        if not truncate_zero and len(e) < 2:
            e = "0" + e
        return out + e
    if exp >= 0:
        return out + "".join(reversed(buf)) + "0" * exp
    whole = exp + nd
    if whole > 0:
        return out + "".join(reversed(buf))[:whole] + "." + "".join(reversed(buf))[whole:]
    return out + "0." + "0" * (-whole) + "".join(reversed(buf))


def fmt_f32(x):
    """An f32 literal exactly as MLIR's AsmPrinter writes it (printFloatValue)."""
    x = f32(x)
    if x == 0.0:
        return "-0.000000e+00" if math.copysign(1.0, x) < 0 else "0.000000e+00"
    s = apfloat_to_string(x, 6, 0, False)
    if f32(float(s)) == x:
        return s
    s = apfloat_to_string(x)
    if "." in s:
        return s
    return "0x%08X" % struct.unpack("<I", struct.pack("<f", x))[0]


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def tt(shape, elem="f32"):
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [elem])


# --------------------------------------------------------------------------
# A minimal IR builder that prints like MLIR's AsmPrinter


class Val:
    """An SSA value; printed as a placeholder until names are assigned."""

    count = 0

    def __init__(self, type_, hint=None, shape=None):
        Val.count += 1
        self.id = Val.count
        self.type = type_
        self.hint = hint  # None: numbered; "arg": %argN; else a name hint
        self.shape = shape
        self.name = None

    def __str__(self):
        return "\x01%d\x02" % self.id


class Op:
    def __init__(self, text, results, regions=()):
        self.text = text  # may span several lines, placeholders for values
        self.results = list(results)
        self.regions = [list(r) for r in regions]  # values named per region


class Region:
    """Body of a single-block region: block arguments, then ops."""

    def __init__(self, indent):
        self.vals = []
        self.args = []
        self.lines = []
        self.indent = indent

    def arg(self, type_, hint):
        v = Val(type_, hint)
        self.vals.append(v)
        self.args.append(v)
        return v

    def op(self, text, type_=None, hint=None):
        if type_ is None:
            self.lines.append(text)
            return None
        v = Val(type_, hint)
        self.vals.append(v)
        self.lines.append("%s = %s" % (v, text))
        return v

    def render(self):
        head = "%s^bb0(%s):" % (
            " " * (self.indent - 2),
            ", ".join("%s: %s" % (a, a.type) for a in self.args),
        )
        return "\n".join([head] + [" " * self.indent + l for l in self.lines])


IDX = ["d%d" % i for i in range(8)]


def amap(rank, results):
    return "affine_map<(%s) -> (%s)>" % (", ".join(IDX[:rank]), ", ".join(results))


def identity_map(rank):
    return amap(rank, IDX[:rank])


class Func:
    INDENT = 4

    def __init__(self, name, arg_shapes, rng):
        self.name = name
        self.rng = rng
        self.args = [Val(tt(s), "arg", s) for s in arg_shapes]
        self.consts = []
        self.body = []
        self.results = []
        self.maps = {}  # map text -> alias
        self.memo = {}
        self.conv_count = 0

    # -- plumbing ---------------------------------------------------------

    def map(self, text):
        if text not in self.maps:
            n = len(self.maps)
            self.maps[text] = "#map" if n == 0 else "#map%d" % n
        return self.maps[text]

    def emit(self, text, shape, hint=None, regions=(), const=False):
        v = Val(tt(shape), hint, shape)
        op = Op("%s = %s" % (v, text), [v], regions)
        (self.consts if const else self.body).append(op)
        return v

    # -- constants ----------------------------------------------------------

    def scalar(self, value):
        key = ("scalar", f32(value))
        if key not in self.memo:
            v = Val("f32", "cst")
            self.consts.append(
                Op("%s = arith.constant %s : f32" % (v, fmt_f32(value)), [v])
            )
            self.memo[key] = v
        return self.memo[key]

    def index(self, value):
        key = ("index", value)
        if key not in self.memo:
            v = Val("index", "c%d" % value)
            self.consts.append(Op("%s = arith.constant %d : index" % (v, value), [v]))
            self.memo[key] = v
        return self.memo[key]

    def tensor_const(self, shape, values=None, splat=None):
        if splat is not None:
            body = "dense<%s>" % fmt_f32(splat)
        elif numel(shape) > 100:
            data = struct.pack("<%df" % len(values), *values)
            body = 'dense<"0x%s">' % data.hex().upper()
        else:
            body = "dense<%s>" % nested_list(shape, [fmt_f32(x) for x in values])
        v = Val(tt(shape), "cst", shape)
        self.consts.append(Op("%s = arith.constant %s : %s" % (v, body, tt(shape)), [v]))
        return v

    def random_const(self, shape, lo, hi):
        vals = [f32(self.rng.uniform(lo, hi)) for _ in range(numel(shape))]
        return self.tensor_const(shape, vals)

    # -- shared tensors (torch-mlir output is CSE'd) ------------------------

    def empty(self, shape):
        key = ("empty", tuple(shape))
        if key not in self.memo:
            self.memo[key] = self.emit("tensor.empty() : %s" % tt(shape), shape)
        return self.memo[key]

    def zero_filled(self, shape):
        key = ("fill", tuple(shape))
        if key not in self.memo:
            zero = self.scalar(0.0)
            e = self.empty(shape)
            self.memo[key] = self.emit(
                "linalg.fill ins(%s : f32) outs(%s : %s) -> %s"
                % (zero, e, e.type, tt(shape)),
                shape,
            )
        return self.memo[key]

    # -- generic ----------------------------------------------------------

    def generic(self, ins, out, in_maps, out_map, iters, body, out_shape=None):
        """body(region, in_args, out_arg) -> yielded value."""
        shape = out_shape or out.shape
        rank = len(iters)
        maps = [self.map(m) for m in in_maps + [out_map]]
        r = Region(self.INDENT + 2)
        in_args = [r.arg("f32", "in") for _ in ins]
        out_arg = r.arg("f32", "out")
        y = body(r, in_args, out_arg)
        r.op("linalg.yield %s : f32" % y)
        attrs = "{indexing_maps = [%s], iterator_types = [%s]}" % (
            ", ".join(maps),
            ", ".join('"%s"' % it for it in iters),
        )
        ins_txt = ""
        if ins:
            ins_txt = " ins(%s : %s)" % (
                ", ".join(str(v) for v in ins),
                ", ".join(v.type for v in ins),
            )
        ind = " " * self.INDENT
        text = "linalg.generic %s%s outs(%s : %s) {\n%s\n%s} -> %s" % (
            attrs, ins_txt, out, out.type, r.render(), ind, tt(shape))
        assert rank == len(shape)
        return self.emit(text, shape, regions=[r.vals])

    def elementwise(self, ins, fn, shape=None):
        shape = shape or ins[0].shape
        rank = len(shape)
        idm = identity_map(rank)
        return self.generic(
            ins, self.empty(shape), [idm] * len(ins), idm, ["parallel"] * rank,
            lambda r, a, o: fn(r, *a), out_shape=shape)

    # -- layers -------------------------------------------------------------

    def pad(self, x, low, high):
        shape = [d + l + h for d, l, h in zip(x.shape, low, high)]
        r = Region(self.INDENT + 2)
        for _ in x.shape:
            r.arg("index", "arg")
        r.op("tensor.yield %s : f32" % self.scalar(0.0))
        ind = " " * self.INDENT
        text = "tensor.pad %s low[%s] high[%s] {\n%s\n%s} : %s to %s" % (
            x, ", ".join(map(str, low)), ", ".join(map(str, high)), r.render(),
            ind, x.type, tt(shape))
        return self.emit(text, shape, hint="padded", regions=[r.vals])

    def conv(self, x, cout, k, stride=1, pad=None, splat_weights=False,
             depthwise=False):
        """Conv with bias; pad is (low, high) per spatial dim or None."""
        nsp = len(x.shape) - 2
        cin = x.shape[1]
        if pad is not None and any(l or h for l, h in pad):
            x = self.pad(x, [0, 0] + [l for l, _ in pad], [0, 0] + [h for _, h in pad])
        if depthwise:
            assert cout == cin and nsp == 2
            wshape = [cin] + [k] * nsp
            fan_in = k ** nsp
        else:
            wshape = [cout, cin] + [k] * nsp
            fan_in = cin * k ** nsp
        bound = math.sqrt(3.0 / fan_in)
        if splat_weights:
            sign = 1.0 if self.conv_count % 2 == 0 else -1.0
            w = self.tensor_const(wshape, splat=sign / fan_in)
        else:
            w = self.random_const(wshape, -bound, bound)
        b = self.random_const([cout], -1.0 / math.sqrt(fan_in), 1.0 / math.sqrt(fan_in))
        out_sp = [(d - k) // stride + 1 for d in x.shape[2:]]
        oshape = [x.shape[0], cout] + out_sp
        e = self.empty(oshape)
        dims = [0] + list(range(2, 2 + nsp))
        bias = self.emit(
            "linalg.broadcast ins(%s : %s) outs(%s : %s) dimensions = [%s]"
            % (b, b.type, e, e.type, ", ".join(map(str, dims))),
            oshape, hint="broadcasted")
        if depthwise:
            name = "linalg.depthwise_conv_2d_nchw_chw"
        else:
            name = {2: "linalg.conv_2d_nchw_fchw", 3: "linalg.conv_3d_ncdhw_fcdhw"}[nsp]
        vec = "vector<%dxi64>" % nsp
        attrs = "{dilations = dense<1> : %s, strides = dense<%d> : %s}" % (vec, stride, vec)
        self.conv_count += 1
        return self.emit(
            "%s %s ins(%s, %s : %s, %s) outs(%s : %s) -> %s"
            % (name, attrs, x, w, x.type, w.type, bias, bias.type, tt(oshape)),
            oshape)

    def group_norm(self, x, groups, eps=1e-5):
        n, c = x.shape[0], x.shape[1]
        sp = x.shape[2:]
        rank = len(x.shape)
        k = (c // groups) * numel(sp)
        assert c % groups == 0
        flat = [n, c * numel(sp)]
        gshape = [n, groups, k]
        sshape = [n, groups, 1]
        id3 = identity_map(3)
        red = amap(3, ["d0", "d1", "0"])
        bc = amap(3, ["d0", "d1"])
        par3 = ["parallel"] * 3
        col = self.emit(
            "tensor.collapse_shape %s [[0], [%s]] : %s into %s"
            % (x, ", ".join(str(i) for i in range(1, rank)), x.type, tt(flat)),
            flat, hint="collapsed")
        g = self.emit(
            "tensor.expand_shape %s [[0], [1, 2]] output_shape [%s] : %s into %s"
            % (col, ", ".join(map(str, gshape)), col.type, tt(gshape)),
            gshape, hint="expanded")
        small = self.empty(sshape)
        acc = self.zero_filled(sshape)
        count = self.scalar(float(k))

        def reduce_sum(src):
            return self.generic(
                [src], acc, [id3], red, ["parallel", "parallel", "reduction"],
                lambda r, a, o: r.op("arith.addf %s, %s : f32" % (a[0], o), "f32"),
                out_shape=sshape)

        def divide(src):
            return self.generic(
                [src], small, [id3], id3, par3,
                lambda r, a, o: r.op("arith.divf %s, %s : f32" % (a[0], count), "f32"))

        def broadcast(src2d):
            return self.generic(
                [src2d], self.empty(gshape), [bc], id3, par3,
                lambda r, a, o: a[0], out_shape=gshape)

        def collapse_stat(s):
            return self.emit(
                "tensor.collapse_shape %s [[0], [1, 2]] : %s into %s"
                % (s, s.type, tt([n, groups])),
                [n, groups], hint="collapsed")

        def binary(a, b, op):
            return self.generic(
                [a, b], self.empty(gshape), [id3, id3], id3, par3,
                lambda r, x_, o: r.op("arith.%s %s, %s : f32" % (op, x_[0], x_[1]), "f32"))

        mean = divide(reduce_sum(g))
        mean_b = broadcast(collapse_stat(mean))
        centered = binary(g, mean_b, "subf")
        sq = binary(centered, centered, "mulf")
        var = divide(reduce_sum(sq))
        eps_c = self.scalar(eps)
        var_eps = self.generic(
            [var], small, [id3], id3, par3,
            lambda r, a, o: r.op("arith.addf %s, %s : f32" % (a[0], eps_c), "f32"))
        inv = self.generic(
            [var_eps], small, [id3], id3, par3,
            lambda r, a, o: r.op("math.rsqrt %s : f32" % a[0], "f32"))
        inv_b = broadcast(collapse_stat(inv))
        normed = binary(centered, inv_b, "mulf")
        # Per-group scale and shift of shape [1, G] (ONNX GroupNormalization-18).
        gscale = self.random_const([1, groups], 0.5, 1.5)
        gshift = self.random_const([1, groups], -0.1, 0.1)
        gscale_b = broadcast(gscale)
        gshift_b = broadcast(gshift)
        normed = binary(normed, gscale_b, "mulf")
        normed = binary(normed, gshift_b, "addf")
        col2 = self.emit(
            "tensor.collapse_shape %s [[0], [1, 2]] : %s into %s"
            % (normed, normed.type, tt(flat)),
            flat, hint="collapsed")
        y = self.emit(
            "tensor.expand_shape %s [[0], [%s]] output_shape [%s] : %s into %s"
            % (col2, ", ".join(str(i) for i in range(1, rank)),
               ", ".join(map(str, x.shape)), col2.type, x.type),
            x.shape, hint="expanded")
        # Per-channel scale and shift, constants of shape [C, 1, ...].
        cshape = [c] + [1] * len(sp)
        cmap = amap(rank, ["d1"] + ["0"] * len(sp))
        idr = identity_map(rank)
        parr = ["parallel"] * rank
        scale = self.random_const(cshape, 0.5, 1.5)
        shift = self.random_const(cshape, -0.1, 0.1)
        y = self.generic(
            [y, scale], self.empty(x.shape), [idr, cmap], idr, parr,
            lambda r, a, o: r.op("arith.mulf %s, %s : f32" % (a[0], a[1]), "f32"))
        y = self.generic(
            [y, shift], self.empty(x.shape), [idr, cmap], idr, parr,
            lambda r, a, o: r.op("arith.addf %s, %s : f32" % (a[0], a[1]), "f32"))
        return y

    def silu(self, x):
        one = self.scalar(1.0)

        def sigmoid(r, a):
            t = r.op("arith.negf %s : f32" % a, "f32")
            t = r.op("math.exp %s : f32" % t, "f32")
            t = r.op("arith.addf %s, %s : f32" % (t, one), "f32")
            return r.op("arith.divf %s, %s : f32" % (one, t), "f32")

        s = self.elementwise([x], sigmoid)
        return self.elementwise(
            [x, s], lambda r, a, b: r.op("arith.mulf %s, %s : f32" % (a, b), "f32"))

    def relu(self, x):
        zero = self.scalar(0.0)
        return self.elementwise(
            [x], lambda r, a: r.op("arith.maximumf %s, %s : f32" % (a, zero), "f32"))

    def add(self, a, b):
        return self.elementwise(
            [a, b], lambda r, x, y: r.op("arith.addf %s, %s : f32" % (x, y), "f32"))

    def upsample_nearest(self, x, scales):
        """Nearest upsample of the spatial dims by integer `scales`."""
        rank = len(x.shape)
        oshape = x.shape[:2] + [d * s for d, s in zip(x.shape[2:], scales)]
        c0 = self.index(0)
        half = self.scalar(0.5)
        zero = self.scalar(0.0)
        consts = {}
        for d, s in zip(x.shape[2:], scales):
            if s != 1:
                consts[s] = self.scalar(float(s))
                consts[("max", d)] = self.scalar(float(d - 1))

        def body(r, a, o):
            idx = [r.op("linalg.index %d : index" % i, "index") for i in range(1, rank)]
            coords = [c0, idx[0]]
            for j, (d, s) in enumerate(zip(x.shape[2:], scales)):
                i = idx[j + 1]
                if s == 1:
                    coords.append(i)
                    continue
                t = r.op("arith.index_cast %s : index to i64" % i, "i64")
                t = r.op("arith.sitofp %s : i64 to f32" % t, "f32")
                t = r.op("arith.addf %s, %s : f32" % (t, half), "f32")
                t = r.op("arith.divf %s, %s : f32" % (t, consts[s]), "f32")
                t = r.op("arith.subf %s, %s : f32" % (t, half), "f32")
                fl = r.op("math.floor %s : f32" % t, "f32")
                ce = r.op("math.ceil %s : f32" % t, "f32")
                fr = r.op("arith.subf %s, %s : f32" % (t, fl), "f32")
                cmp = r.op("arith.cmpf ule, %s, %s : f32" % (fr, half), "i1")
                t = r.op("arith.select %s, %s, %s : f32" % (cmp, fl, ce), "f32")
                t = r.op("arith.maximumf %s, %s : f32" % (t, zero), "f32")
                t = r.op("arith.minimumf %s, %s : f32" % (t, consts[("max", d)]), "f32")
                t = r.op("arith.fptosi %s : f32 to i64" % t, "i64")
                t = r.op("arith.index_cast %s : i64 to index" % t, "index")
                coords.append(t)
            return r.op("tensor.extract %s[%s] : %s"
                        % (x, ", ".join(str(c) for c in coords), x.type),
                        "f32", hint="extracted")

        idm = identity_map(rank)
        return self.generic([], self.empty(oshape), [], idm, ["parallel"] * rank,
                            body, out_shape=oshape)

    def concat(self, xs, dim=1):
        shape = list(xs[0].shape)
        shape[dim] = sum(v.shape[dim] for v in xs)
        return self.emit(
            "tensor.concat dim(%d) %s : (%s) -> %s"
            % (dim, ", ".join(str(v) for v in xs), ", ".join(v.type for v in xs),
               tt(shape)),
            shape, hint="concat")

    # -- printing -----------------------------------------------------------

    def assign_names(self):
        state = {"num": 0, "arg": 0, "conflict": 0, "used": set()}

        def name(v, st):
            if v.hint is None:
                v.name = "%%%d" % st["num"]
                st["num"] += 1
            elif v.hint == "arg":
                v.name = "%%arg%d" % st["arg"]
                st["arg"] += 1
            elif v.hint not in st["used"]:
                st["used"].add(v.hint)
                v.name = "%" + v.hint
            else:
                while True:
                    cand = "%s_%d" % (v.hint, st["conflict"])
                    st["conflict"] += 1
                    if cand not in st["used"]:
                        break
                st["used"].add(cand)
                v.name = "%" + cand

        for a in self.args:
            name(a, state)
        ops = self.consts + self.body
        for op in ops:
            for v in op.results:
                name(v, state)
        for op in ops:
            for region in op.regions:
                st = dict(state, used=set(state["used"]))
                for v in region:
                    name(v, st)

    def render(self):
        self.assign_names()
        by_id = {}
        for a in self.args:
            by_id[a.id] = a
        for op in self.consts + self.body:
            for v in op.results:
                by_id[v.id] = v
            for region in op.regions:
                for v in region:
                    by_id[v.id] = v

        def subst(text):
            out = []
            i = 0
            while True:
                j = text.find("\x01", i)
                if j < 0:
                    out.append(text[i:])
                    return "".join(out)
                k = text.find("\x02", j)
                out.append(text[i:j])
                out.append(by_id[int(text[j + 1:k])].name)
                i = k + 1

        ind = " " * self.INDENT
        lines = []
        for text, alias in sorted(((t, a) for t, a in self.maps.items()),
                                  key=lambda ta: map_order(ta[1])):
            lines.append("%s = %s" % (alias, text))
        lines.append("module {")
        sig_args = ", ".join("%s: %s" % (a, a.type) for a in self.args)
        sig_res = ", ".join(v.type for v in self.results)
        lines.append("  func.func @%s(%s) -> %s {" % (self.name, sig_args, sig_res))
        for op in self.consts + self.body:
            lines.append(ind + op.text)
        lines.append(ind + "return %s : %s" % (
            ", ".join(str(v) for v in self.results), sig_res))
        lines.append("  }")
        lines.append("}")
        return subst("\n".join(lines)) + "\n"

    def top_level_op_count(self):
        return len(self.consts) + len(self.body) + 1  # + func.return


def map_order(alias):
    return 0 if alias == "#map" else int(alias[4:])


def nested_list(shape, items):
    if not shape:
        return items[0]
    if len(shape) == 1:
        return "[" + ", ".join(items) + "]"
    step = numel(shape[1:])
    return "[" + ", ".join(
        nested_list(shape[1:], items[i * step:(i + 1) * step]) for i in range(shape[0])
    ) + "]"


def rng_for(name):
    return SplitMix64(zlib.crc32(name.encode()) * 0x100000001)


# --------------------------------------------------------------------------
# Models


def vae_decoder3d(name, causal, large, random_large):
    """Video-VAE-decoder-like network on conv3d (the seed's VAEDecoderLike)."""
    cm = 4 if large else 1
    sm = 4 if large else 1
    tm = 2 if large else 1
    zc, c1, c2 = 4 * cm, 16 * cm, 8 * cm
    latent = [1, zc, 2 * tm, 4 * sm, 4 * sm]
    f = Func(name, [latent], rng_for(name))
    splat = large and not random_large

    def groups(c):
        return 32 if large else c // 4

    def conv3(x, cout):
        pad = [(2, 0), (1, 1), (1, 1)] if causal else [(1, 1)] * 3
        return f.conv(x, cout, 3, pad=pad, splat_weights=splat)

    def resblock(x, cout):
        cin = x.shape[1]
        h = f.silu(f.group_norm(x, groups(cin)))
        h = conv3(h, cout)
        h = f.silu(f.group_norm(h, groups(cout)))
        h = conv3(h, cout)
        skip = x if cin == cout else f.conv(x, cout, 1, splat_weights=splat)
        return f.add(skip, h)

    h = conv3(f.args[0], c1)  # conv_in
    h = resblock(h, c1)
    h = f.upsample_nearest(h, [1, 2, 2])
    h = conv3(h, c1)
    h = resblock(h, c2)  # with a 1x1x1 skip conv
    h = f.silu(f.group_norm(h, groups(c2)))
    h = conv3(h, 3)  # conv_out
    f.results = [h]
    desc = [
        "A video-VAE-decoder-like network on conv3d, the structure of the seed's",
        "VAEDecoderLike (DESIGN.md) at %s size: latent %s (N, C, T, H, W);"
        % ("benchmark" if large else "test", "x".join(map(str, latent))),
        "conv_in %d->%d k3; ResBlock(%d,%d); nearest upsample x(1,2,2);"
        % (zc, c1, c1, c1),
        "conv %d->%d k3; ResBlock(%d,%d) with a 1x1x1 skip conv;" % (c1, c1, c1, c2),
        "GroupNorm + SiLU + conv_out %d->3 k3. ResBlock = GroupNorm, SiLU, conv3d"
        % c2,
        "k3, GroupNorm, SiLU, conv3d k3, plus skip. Group norms use %s." % (
            "32 groups" if large else "C/4 groups (4 for 16 channels, 2 for 8)"),
        "All convs have a bias; f32.",
    ]
    if causal:
        desc.append("Causal: every k3 conv pads time low 2 / high 0 (H and W 1/1).")
    else:
        desc.append("Every k3 conv pads 1/1 on T, H and W.")
    return f, desc


def unet_block2d(name, large, random_large):
    m = 4 if large else 1
    cin, c1, c2 = 4 * m, 8 * m, 16 * m
    hw = 8 * m
    f = Func(name, [[1, cin, hw, hw]], rng_for(name))
    splat = large and not random_large
    p1 = [(1, 1), (1, 1)]
    e0 = f.conv(f.args[0], c1, 3, pad=p1, splat_weights=splat)
    d = f.conv(e0, c2, 3, stride=2, pad=p1, splat_weights=splat)
    d = f.conv(d, c2, 3, pad=p1, splat_weights=splat, depthwise=True)
    d = f.silu(d)
    u = f.upsample_nearest(d, [2, 2])
    c = f.concat([u, e0], dim=1)
    y = f.conv(c, c1, 3, pad=p1, splat_weights=splat)
    f.results = [y]
    desc = [
        "A 2-D UNet-like block: input 1x%dx%dx%d; conv2d 3x3 %d->%d (skip source);"
        % (cin, hw, hw, cin, c1),
        "strided conv (stride 2) %d->%d down to %dx%d; depthwise conv 3x3 on %d"
        % (c1, c2, hw // 2, hw // 2, c2),
        "channels (linalg.depthwise_conv_2d_nchw_chw); SiLU; nearest upsample x2",
        "back to %dx%d; tensor.concat on dim 1 with the first conv's output;"
        % (hw, hw),
        "conv %d->%d 3x3; output 1x%dx%dx%d. All convs pad 1 and have a bias; f32."
        % (c2 + c1, c1, c1, hw, hw),
    ]
    return f, desc


def resnet_chain2d(name, large, random_large):
    m = 4 if large else 1
    c = 8 * m
    hw = 16 * m
    f = Func(name, [[1, 3, hw, hw]], rng_for(name))
    splat = large and not random_large
    p1 = [(1, 1), (1, 1)]
    h = f.relu(f.conv(f.args[0], c, 3, pad=p1, splat_weights=splat))
    for _ in range(3):
        r = f.relu(f.conv(h, c, 3, pad=p1, splat_weights=splat))
        r = f.conv(r, c, 3, pad=p1, splat_weights=splat)
        h = f.relu(f.add(r, h))
    f.results = [h]
    desc = [
        "A ResNet-like chain: input 1x3x%dx%d; stem conv 3->%d 3x3 + ReLU; then"
        % (hw, hw, c),
        "3 basic blocks (conv 3x3 + bias, ReLU, conv 3x3 + bias, residual add,",
        "ReLU); output 1x%dx%dx%d. ReLU is arith.maximumf with 0; convs pad 1; f32."
        % (c, hw, hw),
    ]
    return f, desc


MODELS = [
    ("vae_decoder3d", lambda n, l, r: vae_decoder3d(n, False, l, r)),
    ("vae_decoder3d_causal", lambda n, l, r: vae_decoder3d(n, True, l, r)),
    ("unet_block2d", unet_block2d),
    ("resnet_chain2d", resnet_chain2d),
]


def generate(name, builder, large, random_large):
    f, desc = builder(name, large, random_large)
    text = f.render()
    cmd = "python3 examples/models/make_models.py"
    if large:
        cmd += " --large" + (" --large-random-weights" if random_large else "")
    weights = ("pseudo-random non-splat weights (SplitMix64 seeded from the model"
               " name)")
    if large and not random_large:
        weights = ("SPLAT conv filters, only to keep the file small (all output"
                   " channels of a conv are equal up to the bias, so this size is"
                   " for timing, not for catching layout bugs; see"
                   " --large-random-weights), pseudo-random biases and norm"
                   " parameters")
    path = "examples/models/%s%s.mlir" % ("large/" if large else "", name)
    paragraphs = [
        "%s%s: generated by `%s`; do not edit." % (
            name, " (large)" if large else "", cmd),
        " ".join(desc),
    ]
    if large:
        paragraphs.append(
            "Benchmark variant of examples/models/%s.mlir: channels x4, H and W"
            " x4%s." % (name, ", T x2" if name.startswith("vae") else ""))
    paragraphs += [
        "Written in torch-mlir's linalg-on-tensors style (see make_models.py): "
        "%d convs, %d top-level ops, %s." % (
            f.conv_count, f.top_level_op_count(), weights),
    ]
    header = []
    for para in paragraphs:
        header += ["// " + l for l in textwrap.wrap(
            para, 76, break_long_words=False, break_on_hyphens=False)]
        header.append("//")
    header.append("//   chlast-opt --conv-channels-last %s" % path)
    return "\n".join(header) + "\n" + text, f


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true",
                    help="benchmark sizes (channels x4, H/W x4, T x2) into large/")
    ap.add_argument("--large-random-weights", action="store_true",
                    help="with --large: random instead of splat conv filters")
    ap.add_argument("--out", help="output directory (default: examples/models[/large])")
    ap.add_argument("--check", action="store_true",
                    help="compare with the files on disk instead of writing")
    ap.add_argument("--summary", action="store_true",
                    help="print conv and op counts per model")
    args = ap.parse_args(argv)
    out = args.out or (os.path.join(here, "large") if args.large else here)
    stale = []
    for name, builder in MODELS:
        Val.count = 0
        text, f = generate(name, builder, args.large, args.large_random_weights)
        path = os.path.join(out, name + ".mlir")
        if args.summary:
            print("%-22s convs=%d top-level-ops=%d bytes=%d" % (
                name, f.conv_count, f.top_level_op_count(), len(text)))
        if args.check:
            try:
                with open(path) as fh:
                    if fh.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
            continue
        os.makedirs(out, exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    if stale:
        print("out of date (re-run make_models.py):\n  " + "\n  ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
