"""A hand-made streamlined integer graph with YOLOv3-tiny's route structure, NCHW:

    x -> conv0 -> a0 -+-> maxpool -> conv1 -> a1 -+-> head1 (1x1) -> out1
                      |                           +-> conv2 (1x1, INT3) -> upsample x2 -+
                      +----------------------------------------------------------------+
    concat(upsampled, a0) -> conv3 -> out2

(a0 is read by the max-pool and the route, a1 by the head and the conv before the upsample)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

MT_DOMAIN = "qonnx.custom_op.general"


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(helper.make_tensor(name, TensorProto.FLOAT, value.shape, value.ravel()))
        return name

    def conv_act(self, x, name, cin, cout, k, signed_out=False) -> str:
        """Conv (bipolar weights) + 7 integer thresholds (UINT3, or INT3 via out_bias -4)."""
        w = self.rng.choice([-1.0, 1.0], size=(cout, cin, k, k))
        span = k * k * cin * 4
        t = np.sort(self.rng.integers(-span // 3, span // 3, size=(cout, 7)), axis=1)
        pad = k // 2
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.const(f"{name}_w", w)],
                [f"{name}_acc"],
                name=name,
                kernel_shape=[k, k],
                pads=[pad] * 4,
            )
        )
        self.nodes.append(
            helper.make_node(
                "MultiThreshold",
                [f"{name}_acc", self.const(f"{name}_t", t.astype(float))],
                [f"{name}_out"],
                name=f"{name}_mt",
                domain=MT_DOMAIN,
                out_dtype="INT3" if signed_out else "UINT3",
                out_bias=-4.0 if signed_out else 0.0,
            )
        )
        return f"{name}_out"


def route_model(size: int = 8, seed: int = 0, resize_attrs: dict | None = None) -> ModelWrapper:
    """The graph above on a UINT3 [1, 4, size, size] input; `resize_attrs` override the
    Resize's (Darknet's asymmetric/floor by default)."""
    b = _Builder(seed)
    a0 = b.conv_act("x", "conv0", 4, 8, 3)
    b.nodes.append(
        helper.make_node("MaxPool", [a0], ["p0"], name="pool0", kernel_shape=[2, 2], strides=[2, 2])
    )
    a1 = b.conv_act("p0", "conv1", 8, 16, 3)
    head = b.conv_act(a1, "head1", 16, 6, 1)
    a2 = b.conv_act(a1, "conv2", 16, 8, 1, signed_out=True)
    attrs = resize_attrs or {
        "coordinate_transformation_mode": "asymmetric",
        "nearest_mode": "floor",
    }
    scales = b.const("up_scales", np.array([1.0, 1.0, 2.0, 2.0]))
    b.nodes.append(
        helper.make_node(
            "Resize", [a2, "", scales], ["up"], name="upsample", **{"mode": "nearest", **attrs}
        )
    )
    b.nodes.append(helper.make_node("Concat", ["up", a0], ["route"], name="route", axis=1))
    out2 = b.conv_act("route", "conv3", 16, 8, 3)
    half = size // 2
    graph = helper.make_graph(
        b.nodes,
        "route",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, size, size])],
        [
            helper.make_tensor_value_info(head, TensorProto.FLOAT, [1, 6, half, half]),
            helper.make_tensor_value_info(out2, TensorProto.FLOAT, [1, 8, size, size]),
        ],
        initializer=b.inits,
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.set_tensor_datatype("x", DataType["UINT3"])
    return model.transform(InferShapes()).transform(InferDataTypes())


def random_input(size: int = 8, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.integers(0, 8, size=(1, 4, size, size)).astype(np.float32)}
