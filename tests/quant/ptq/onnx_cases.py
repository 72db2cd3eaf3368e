"""Hand-written ONNX graphs for the ops and attribute forms torch's exporter rarely writes
(asymmetric pads, auto_pad, old-opset attributes, Gemm alpha/beta, MatMul + Add, Slice...)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(7)
X = "x"


def const(name: str, value, dtype=np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def weights(name: str, *shape: int) -> onnx.TensorProto:
    return const(name, RNG.standard_normal(shape) * 0.3)


def model(nodes, inits, in_shape, outputs=("y",), opset=17, domains=()) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "case",
        [helper.make_tensor_value_info(X, TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=inits,
    )
    opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, 1) for d in domains)]
    proto = helper.make_model(graph, opset_imports=opsets)
    proto.ir_version = 8
    return onnx.shape_inference.infer_shapes(proto)  # the outputs' shapes, as exporters write


def node(op: str, inputs, output: str, **attrs) -> onnx.NodeProto:
    return helper.make_node(op, list(inputs), [output], name=f"{op.lower()}_{output}", **attrs)


def _conv_then(op_node, extra_inits=(), in_shape=(1, 3, 9, 9), opset=17):
    """A 3x3 conv (so a layer precedes the op) and then the op under test on its output."""
    conv = node("Conv", [X, "w", "b"], "c", pads=[1, 1, 1, 1])
    inits = [weights("w", 4, 3, 3, 3), weights("b", 4), *extra_inits]
    return model([conv, op_node], inits, in_shape, opset=opset)


CASES = {
    "maxpool_darknet_pads": _conv_then(
        node("MaxPool", ["c"], "y", kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1])
    ),
    "maxpool_ceil": _conv_then(
        node(
            "MaxPool",
            ["c"],
            "y",
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
            ceil_mode=1,
        )
    ),
    "maxpool_same_upper": _conv_then(
        node("MaxPool", ["c"], "y", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    ),
    "avgpool_counted_asym": _conv_then(
        node(
            "AveragePool",
            ["c"],
            "y",
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[0, 0, 1, 1],
            count_include_pad=1,
        )
    ),
    "pad_edge": _conv_then(
        node("Pad", ["c", "p"], "y", mode="edge"), [const("p", [0, 0, 1, 2, 0, 0, 2, 1], np.int64)]
    ),
    "pad_constant_value": _conv_then(
        node("Pad", ["c", "p", "v"], "y"),
        [const("p", [0, 0, 2, 0, 0, 0, 0, 3], np.int64), const("v", 0.5)],
    ),
    "pad_opset7_attrs": _conv_then(
        node("Pad", ["c"], "y", pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="reflect"), opset=7
    ),
    "resize_half_pixel": _conv_then(
        node("Resize", ["c", "", "s"], "y", mode="nearest"), [const("s", [1, 1, 2, 3])]
    ),
    "resize_by_sizes": _conv_then(
        node(
            "Resize",
            ["c", "", "", "sz"],
            "y",
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),
        [const("sz", [1, 4, 18, 18], np.int64)],
    ),
    "resize_bilinear": _conv_then(
        node(
            "Resize",
            ["c", "", "s"],
            "y",
            mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel",
        ),
        [const("s", [1, 1, 2, 2])],
    ),
    "upsample_opset9": _conv_then(
        node("Upsample", ["c", "s"], "y", mode="nearest"), [const("s", [1, 1, 2, 2])], opset=9
    ),
    "clip_relu6_opset7": _conv_then(node("Clip", ["c"], "y", min=0.0, max=6.0), opset=7),
    "clip_hardtanh": _conv_then(
        node("Clip", ["c", "lo", "hi"], "y"), [const("lo", -0.5), const("hi", 0.7)]
    ),
    "conv_same_upper_stride": model(
        [node("Conv", [X, "w"], "y", strides=[2, 2], auto_pad="SAME_UPPER")],
        [weights("w", 5, 3, 4, 4)],
        (1, 3, 9, 9),
    ),
    "conv_dilated_grouped": model(
        [node("Conv", [X, "w", "b"], "y", dilations=[2, 2], group=3, pads=[2, 2, 2, 2])],
        [weights("w", 6, 1, 3, 3), weights("b", 6)],
        (1, 3, 9, 9),
    ),
    "gemm_alpha_beta": model(
        [node("Gemm", [X, "B", "C"], "y", alpha=0.5, beta=2.0)],
        [weights("B", 10, 6), weights("C", 1, 6)],
        (1, 10),
    ),
    "matmul_add": model(
        [node("MatMul", [X, "W"], "m"), node("Add", ["bias", "m"], "y")],
        [weights("W", 10, 6), weights("bias", 6)],
        (1, 10),
    ),
    "matmul_dynamic": model(
        [node("Transpose", [X], "t", perm=[0, 2, 1]), node("MatMul", [X, "t"], "y")],
        [],
        (1, 4, 8),
    ),
    "slice_concat": _conv_then(
        node("Slice", ["c", "st", "en", "ax", "sp"], "y"),
        [
            const(n, v, np.int64)
            for n, v in (("st", [1, -8]), ("en", [4, 1 << 62]), ("ax", [1, 3]), ("sp", [2, 1]))
        ],
    ),
    "depth_to_space_dcr": _conv_then(node("DepthToSpace", ["c"], "y", blocksize=2)),
    "depth_to_space_crd": _conv_then(node("DepthToSpace", ["c"], "y", blocksize=2, mode="CRD")),
    "constant_sub_div": model(
        [
            helper.make_node("Constant", [], ["one"], value=const("k", 1.0)),
            node("Sub", ["one", X], "s"),
            node("Div", ["s", "d"], "y"),
        ],
        [const("d", RNG.uniform(0.5, 2.0, (3, 1, 1)))],
        (1, 3, 4, 4),
    ),
    "global_max_mean_softmax": model(
        [
            node("GlobalMaxPool", [X], "g"),
            node("ReduceMean", [X], "r", axes=[2, 3], keepdims=1),
            node("Mul", ["g", "r"], "m"),
            node("Flatten", ["m"], "f", axis=1),
            node("Softmax", ["f"], "y", axis=-1),
        ],
        [],
        (1, 3, 4, 5),
    ),
    "activations": model(
        [
            node("HardSigmoid", [X], "a", alpha=1 / 6, beta=0.5),
            node("Elu", ["a"], "b", alpha=0.7),
            node("Tanh", ["b"], "c"),
            node("LeakyRelu", ["c"], "d", alpha=0.2),
            node("Unsqueeze", ["d", "ax"], "e"),
            node("Squeeze", ["e", "ax"], "y"),
        ],
        [const("ax", [1], np.int64)],
        (1, 3, 4, 4),
    ),
}
