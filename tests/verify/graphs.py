"""A two-headed float graph (x -> Mul -> head1, x -> Add -> head2) and deliberately broken
rewrites of it, to drive the equivalence gates' failure paths."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
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
