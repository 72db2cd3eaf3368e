"""A two-headed float graph (x -> Mul -> head1, x -> Add -> head2) and deliberately broken
rewrites of it, to drive the equivalence gates' failure paths."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.util.graph_builder import GraphBuilder

SHAPE = [1, 4]
SCALE = np.array([[0.5, -1.0, 2.0, 3.0]], np.float32)


def two_heads() -> ModelWrapper:
    """y1 = x * SCALE, y2 = x + 1 (two outputs, like YOLOv3's two heads)."""
    b = GraphBuilder()
    x = b.add_input("x", SHAPE)
    head1 = b.node("Mul", [x, b.const("scale", SCALE)], "head1")
    head2 = b.node("Add", [x, b.const("one", np.ones(SHAPE))], "head2")
    return ModelWrapper(b.finish([(head1, SHAPE), (head2, SHAPE)], "two_heads"))


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(seed).normal(size=SHAPE).astype(np.float32)}


class DropSecondHead(Transformation):
    """Wrong: deletes the second output and its node."""

    def apply(self, model):
        node = model.find_producer(model.graph.output[1].name)
        model.graph.output.remove(model.graph.output[1])
        model.graph.node.remove(node)
        return model, False


class RenameFirstHead(Transformation):
    """Renames the first output (and its producer); with `scale` also changes its values."""

    def __init__(self, name: str = "renamed", scale: np.ndarray | None = None) -> None:
        super().__init__()
        self.name, self.scale = name, scale

    def apply(self, model):
        old = model.graph.output[0].name
        model.find_producer(old).output[0] = self.name
        model.graph.output[0].name = self.name
        if self.scale is not None:
            model.set_initializer("scale", self.scale.astype(np.float32))
        return model, False


class SwapHeads(Transformation):
    """Wrong: the outputs change order (each keeps its name)."""

    def apply(self, model):
        first, second = (helper.make_tensor_value_info("", 1, None) for _ in range(2))
        first.CopyFrom(model.graph.output[0])
        second.CopyFrom(model.graph.output[1])
        del model.graph.output[:]
        model.graph.output.extend([second, first])
        return model, False


class ReshapeFirstHead(Transformation):
    """Wrong: the first output keeps its values but becomes [4, 1] instead of [1, 4]."""

    def apply(self, model):
        old = model.graph.output[0].name
        model.find_producer(old).output[0] = "flat"
        shape = helper.make_tensor("column", 7, [2], [4, 1])
        model.graph.initializer.append(shape)
        model.graph.node.append(helper.make_node("Reshape", ["flat", "column"], [old]))
        model.graph.output[0].type.tensor_type.shape.dim[0].dim_value = 4
        model.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 1
        return model.transform(InferShapes()), False


class PoisonFirstHead(Transformation):
    """Wrong: one scale becomes `value` (NaN or inf), so the first output is not finite."""

    def __init__(self, value: float = float("nan")) -> None:
        super().__init__()
        self.value = value

    def apply(self, model):
        scale = SCALE.copy()
        scale[0, 1] = self.value
        model.set_initializer("scale", scale)
        return model, False


def strided_route(height: int = 20, width: int = 14, seed: int = 0) -> ModelWrapper:
    """An integer conv graph on a UINT3 [1, 4, height, width] input (height = 0 mod 4, width
    even) with a [2, 1] stride, a max-pool and an upsampled route, for verify.shrink:

        x -> conv0 (3x3, stride 2x1) -> a0 -+-> maxpool 2x2 -> conv1 -> conv2 (1x1) -> up x2 -+
                                            +-------------------------------------------------+
        concat(up, a0) (channels) -> conv3 (3x3) -> y

    Each conv has bipolar weights and 7 integer thresholds (UINT3 out); the stride product is
    (4, 2)."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder()
    x = b.add_input("x", [1, 4, height, width])

    def conv_act(t: str, name: str, cin: int, cout: int, k: int, stride: list[int]) -> str:
        w = b.const(f"{name}_w", rng.choice([-1.0, 1.0], size=(cout, cin, k, k)))
        span = k * k * cin * 4
        thresholds = np.sort(rng.integers(-span // 3, span // 3, size=(cout, 7)), axis=1)
        pads = [k // 2] * 4
        acc = b.node("Conv", [t, w], f"{name}_acc", kernel_shape=[k, k], pads=pads, strides=stride)
        return b.node(
            "MultiThreshold",
            [acc, b.const(f"{name}_t", thresholds)],
            f"{name}_out",
            domain="qonnx.custom_op.general",
            out_dtype="UINT3",
        )

    a0 = conv_act(x, "conv0", 4, 8, 3, [2, 1])
    t = b.node("MaxPool", [a0], "pool0", kernel_shape=[2, 2], strides=[2, 2])
    t = conv_act(t, "conv1", 8, 8, 3, [1, 1])
    t = conv_act(t, "conv2", 8, 8, 1, [1, 1])
    scales = b.const("up_scales", np.array([1.0, 1.0, 2.0, 2.0]))
    t = b.node(
        "Resize",
        [t, "", scales],
        "up",
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    t = b.node("Concat", [t, a0], "route", axis=1)
    y = conv_act(t, "conv3", 16, 8, 3, [1, 1])
    shape = [1, 8, height // 2, width]
    model = ModelWrapper(b.finish([(y, shape)], "strided_route", ("qonnx.custom_op.general",)))
    model.set_tensor_datatype(x, DataType["UINT3"])
    return model.transform(InferShapes()).transform(InferDataTypes())
