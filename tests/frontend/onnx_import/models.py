"""Small float CNNs written with onnx.helper the way torch.onnx.export writes them (no
value_info, optional symbolic dims), and the malformed variants the fuzz test feeds in."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def small_cnn(
    opset: int = 13, dims: tuple = (1, 3, 8, 8), seed: int = 0, variance: float = 1.0
) -> onnx.ModelProto:
    """Conv -> BatchNormalization -> Relu -> MaxPool -> Conv, shapes only on input/output."""
    rng = np.random.default_rng(seed)

    def init(name: str, array: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(array.astype(np.float32), name)

    inits = [
        init("w1", rng.normal(size=(4, 3, 3, 3))),
        init("b1", rng.normal(size=4)),
        init("bn_scale", rng.uniform(0.5, 1.5, 4)),
        init("bn_bias", rng.normal(size=4)),
        init("bn_mean", rng.normal(size=4)),
        init("bn_var", np.full(4, variance)),
        init("w2", rng.normal(size=(2, 4, 1, 1))),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node(
            "BatchNormalization",
            ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"],
            ["n1"],
            name="bn1",
        ),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]
        ),
        helper.make_node("Conv", ["p1", "w2"], ["y"], name="conv2"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))
    batch = dims[0]
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 2, None, None])
    graph = helper.make_graph(nodes, "small_cnn", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def with_initializer(model: onnx.ModelProto, name: str, array: np.ndarray) -> onnx.ModelProto:
    """A copy with initializer `name` replaced."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for i, tensor in enumerate(out.graph.initializer):
        if tensor.name == name:
            out.graph.initializer[i].CopyFrom(numpy_helper.from_array(array, name))
    return out
