#!/usr/bin/env python3
"""Writes a tiny ONNX model for the import-onnx tests: make_onnx.py NAME OUT.onnx.

Run with the import venv's python (lit's %import-python). Weights are
deterministic (seeded), shapes are fixed unless the model is meant to test
dynamic dims. `make_onnx.py --list` prints the model names.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
rng = np.random.default_rng(0)


def weight(name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def model(nodes, inputs, outputs, inits, opsets=None, name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    opsets = opsets or [helper.make_opsetid("", OPSET)]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="chlast-tests")
    m.ir_version = 8
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def conv(x, w, b, y, pads, **kw):
    return helper.make_node("Conv", [x, w, b], [y], pads=pads, **kw)


def conv_relu_add():
    """x -> conv3x3 -> relu -> conv3x3 -> + (first conv) : 1x3x16x16 -> 1x8x16x16."""
    nodes = [
        conv("x", "w1", "b1", "c1", [1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r"]),
        conv("r", "w2", "b2", "c2", [1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "c1"], ["y"]),
    ]
    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("w2", 8, 8, 3, 3), weight("b2", 8)]
    return model(nodes, [f32("x", [1, 3, 16, 16])], [f32("y", [1, 8, 16, 16])], inits)


def conv3d():
    """A 3x3x3 conv with bias: 1x4x4x8x8 -> 1x8x4x8x8."""
    nodes = [conv("x", "w", "b", "y", [1, 1, 1, 1, 1, 1])]
    inits = [weight("w", 8, 4, 3, 3, 3), weight("b", 8)]
    return model(nodes, [f32("x", [1, 4, 4, 8, 8])], [f32("y", [1, 8, 4, 8, 8])], inits)


def custom_op():
    """A conv followed by an op from a custom domain no importer knows."""
    nodes = [
        conv("x", "w", "b", "c", [1, 1, 1, 1]),
        helper.make_node("FancyActivation", ["c"], ["y"], domain="com.example"),
    ]
    inits = [weight("w", 8, 3, 3, 3), weight("b", 8)]
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 1)]
    return model(nodes, [f32("x", [1, 3, 16, 16])], [f32("y", [1, 8, 16, 16])], inits, opsets)


def dft():
    """A conv, then DFT (opset 17): convert-torch-onnx-to-torch has no pattern for it."""
    nodes = [
        conv("x", "w", "b", "c", [1, 1, 1, 1]),
        helper.make_node("Reshape", ["c", "shape"], ["r"]),
        helper.make_node("DFT", ["r"], ["y"]),
    ]
    inits = [weight("w", 8, 3, 3, 3), weight("b", 8), const("shape", [1, 8 * 16 * 16, 1])]
    return model(nodes, [f32("x", [1, 3, 16, 16])], [f32("y", [1, 8 * 16 * 16, 2])], inits)


def max_roi_pool():
    """MaxRoiPool: converted to torch.aten.max_pool2d on dynamic slices, which
    torch-mlir then cannot lower to linalg."""
    nodes = [helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[2, 2])]
    return model(nodes, [f32("x", [1, 1, 8, 8]), f32("rois", [1, 5])], [f32("y", [1, 1, 2, 2])], [])


def dynamic_batch():
    """conv_relu_add's first conv with a symbolic batch dim 'N'."""
    nodes = [conv("x", "w", "b", "c", [1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["y"])]
    inits = [weight("w", 8, 3, 3, 3), weight("b", 8)]
    return model(nodes, [f32("x", ["N", 3, 16, 16])], [f32("y", ["N", 8, 16, 16])], inits)


def group_norm(x, y, n, c, g, hw, prefix):
    """GroupNorm as torch.onnx.export (opset 17) writes it: reshape to
    [N, G, -1], InstanceNormalization with unit scale, reshape back, then the
    per-channel affine (Mul, Add with [C,1,1] weights)."""
    p = prefix
    return [
        helper.make_node("Reshape", [x, p + "gshape"], [p + "g"]),
        helper.make_node("InstanceNormalization", [p + "g", p + "ones", p + "zeros"], [p + "gn"], epsilon=1e-6),
        helper.make_node("Reshape", [p + "gn", p + "xshape"], [p + "n"]),
        helper.make_node("Mul", [p + "n", p + "gamma"], [p + "s"]),
        helper.make_node("Add", [p + "s", p + "beta"], [y]),
    ], [
        const(p + "gshape", [n, g, -1]),
        numpy_helper.from_array(np.ones(g, np.float32), p + "ones"),
        numpy_helper.from_array(np.zeros(g, np.float32), p + "zeros"),
        const(p + "xshape", [n, c] + hw),
        weight(p + "gamma", c, 1, 1),
        weight(p + "beta", c, 1, 1),
    ]


def silu(x, y):
    return [helper.make_node("Sigmoid", [x], [y + "_sig"]), helper.make_node("Mul", [x, y + "_sig"], [y])]


def vae_block():
    """A VAE-decoder-like block, opset 17: conv -> group norm -> SiLU -> conv,
    residual add, nearest 2x upsample (Resize), concat with the upsampled
    input, conv. 1x16x8x8 -> 1x8x16x16."""
    nodes, inits = [], []
    nodes.append(conv("x", "w0", "b0", "h0", [1, 1, 1, 1]))
    inits += [weight("w0", 32, 16, 3, 3), weight("b0", 32)]
    gn_nodes, gn_inits = group_norm("h0", "h1", 1, 32, 8, [8, 8], "gn1_")
    nodes += gn_nodes
    inits += gn_inits
    nodes += silu("h1", "h2")
    nodes.append(conv("h2", "w1", "b1", "h3", [1, 1, 1, 1]))
    inits += [weight("w1", 32, 32, 3, 3), weight("b1", 32)]
    nodes.append(helper.make_node("Add", ["h3", "h0"], ["h4"]))
    # Resize nearest 2x, as torch exports nn.Upsample(scale_factor=2, mode="nearest").
    nodes.append(helper.make_node("Resize", ["h4", "", "scales"], ["h5"], mode="nearest",
                                  coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
    nodes.append(helper.make_node("Resize", ["x", "", "scales"], ["xu"], mode="nearest",
                                  coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
    inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"))
    nodes.append(helper.make_node("Concat", ["h5", "xu"], ["h6"], axis=1))
    nodes.append(conv("h6", "w2", "b2", "y", [1, 1, 1, 1]))
    inits += [weight("w2", 8, 48, 3, 3), weight("b2", 8)]
    return model(nodes, [f32("x", [1, 16, 8, 8])], [f32("y", [1, 8, 16, 16])], inits)


def group_norm18():
    """GroupNormalization itself (opset 21, where scale/bias are per channel)."""
    nodes = [
        conv("x", "w", "b", "c", [1, 1, 1, 1]),
        helper.make_node("GroupNormalization", ["c", "gamma", "beta"], ["y"], num_groups=4, epsilon=1e-6),
    ]
    inits = [weight("w", 16, 8, 3, 3), weight("b", 16), weight("gamma", 16), weight("beta", 16)]
    m = model(nodes, [f32("x", [1, 8, 8, 8])], [f32("y", [1, 16, 8, 8])], inits,
              [helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


MODELS = {f.__name__: f for f in [conv_relu_add, conv3d, custom_op, dft, max_roi_pool, dynamic_batch, vae_block, group_norm18]}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(MODELS))
        return 0
    if len(argv) != 3 or argv[1] not in MODELS:
        print("usage: make_onnx.py {%s} OUT.onnx" % "|".join(MODELS), file=sys.stderr)
        return 2
    m = MODELS[argv[1]]()
    if argv[1] != "custom_op":
        onnx.checker.check_model(m, full_check=True)
    onnx.save(m, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
