"""Hand-made integer graphs that keep nodes on the host after ConvertToHW, for the to_hw
report and refusal tests. Each starts with a float input quantized to UINT3 codes by a
MultiThreshold (which stays on the host before the hardware region):

- `split_by_softmax`: quant -> conv0+mt0 -> Softmax -> requant -> conv1+mt1: the Softmax
  (no hardware op computes it) and the requantizer sit between two hardware layers;
- `float_gemm`: quant -> Flatten -> Gemm with float (non-integer) weights: nothing converts;
- `convs_then_host`: quant -> conv0+mt0 -> maxpool -> conv1+mt1 -> Sigmoid: a valid
  accelerator with host nodes before and after it.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

MT_DOMAIN = "qonnx.custom_op.general"
SIZE, CHANNELS = 6, 3


class GraphBuilder:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []

    def const(self, name: str, value: np.ndarray) -> str:
        value = np.asarray(value, dtype=np.float32)
        self.inits.append(helper.make_tensor(name, TensorProto.FLOAT, value.shape, value.ravel()))
        return name

    def quantize(self, x: str, name: str, channels: int, low: float, high: float) -> str:
        """7 float thresholds per channel: UINT3 codes of a float tensor."""
        t = np.tile(np.linspace(low, high, 7), (channels, 1))
        self.nodes.append(
            helper.make_node(
                "MultiThreshold",
                [x, self.const(f"{name}_t", t)],
                [f"{name}_out"],
                name=name,
                domain=MT_DOMAIN,
                out_dtype="UINT3",
            )
        )
        return f"{name}_out"

    def conv_act(self, x: str, name: str, cin: int, cout: int, out_scale: float = 1.0) -> str:
        """Conv 3x3 (integer weights) + integer thresholds: UINT3 codes, or bipolar +-1 with
        out_scale=2, out_bias=-1 (what Brevitas' binary activations streamline to)."""
        w = self.rng.integers(-2, 3, size=(cout, cin, 3, 3))
        steps = 1 if out_scale == 2.0 else 7
        t = np.sort(self.rng.integers(-20, 20, size=(cout, steps)), axis=1)
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.const(f"{name}_w", w)],
                [f"{name}_acc"],
                name=name,
                kernel_shape=[3, 3],
                pads=[1, 1, 1, 1],
            )
        )
        bipolar = {"out_scale": 2.0, "out_bias": -1.0, "out_dtype": "BIPOLAR"}
        attrs = bipolar if out_scale == 2.0 else {"out_dtype": "UINT3"}
        self.nodes.append(
            helper.make_node(
                "MultiThreshold",
                [f"{name}_acc", self.const(f"{name}_t", t)],
                [f"{name}_out"],
                name=f"{name}_mt",
                domain=MT_DOMAIN,
                **attrs,
            )
        )
        return f"{name}_out"

    def node(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [f"{name}_out"], name=name, **attrs))
        return f"{name}_out"

    def model(self, output: str) -> ModelWrapper:
        graph = helper.make_graph(
            self.nodes,
            "host_graph",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, CHANNELS, SIZE, SIZE])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
            initializer=self.inits,
        )
        proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        proto.ir_version = 8
        model = ModelWrapper(proto)
        model.set_tensor_datatype("x", DataType["FLOAT32"])
        return model.transform(InferShapes()).transform(InferDataTypes())


def split_by_softmax(seed: int = 0) -> ModelWrapper:
    g = GraphBuilder(seed)
    x = g.quantize("x", "quant_in", CHANNELS, -1.5, 1.5)
    x = g.conv_act(x, "conv0", CHANNELS, 4)
    x = g.node("Softmax", [x], "softmax", axis=1)
    x = g.quantize(x, "requant", 4, 0.1, 0.9)
    return g.model(g.conv_act(x, "conv1", 4, 4))


def float_gemm(seed: int = 0) -> ModelWrapper:
    g = GraphBuilder(seed)
    x = g.quantize("x", "quant_in", CHANNELS, -1.5, 1.5)
    x = g.node("Flatten", [x], "flatten", axis=1)
    w = g.const("fc_w", g.rng.normal(size=(CHANNELS * SIZE * SIZE, 5)))
    return g.model(g.node("Gemm", [x, w], "fc"))


def convs_then_host(seed: int = 0) -> ModelWrapper:
    g = GraphBuilder(seed)
    x = g.quantize("x", "quant_in", CHANNELS, -1.5, 1.5)
    x = g.conv_act(x, "conv0", CHANNELS, 4)
    x = g.node("MaxPool", [x], "pool", kernel_shape=[2, 2], strides=[2, 2])
    x = g.conv_act(x, "conv1", 4, 4)
    return g.model(g.node("Sigmoid", [x], "sigmoid"))
