"""Tiny chain graphs (x -> op -> op -> y) for before/after tests of single rewrites."""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.streamline.patterns import QONNX_DOMAIN
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import verified_transform


class Chain:
    """Appends nodes to a single data path; constants become initializers."""

    def __init__(self, shape: list[int]) -> None:
        self.builder = GraphBuilder()
        self.shape = shape
        self.head = self.builder.add_input("x", shape)

    def op(self, op_type: str, *consts, qonnx: bool = False, **attrs) -> Chain:
        """Add `op_type` reading the current head and then `consts` (arrays or tensor names)."""
        inputs = [self.head]
        for i, value in enumerate(consts):
            if isinstance(value, str) or value is None:
                inputs.append(value or "")
            else:
                dtype = np.int64 if op_type == "Pad" and i == 0 else np.float32
                inputs.append(self.builder.const(f"{op_type.lower()}_c{i}", value, dtype))
        if qonnx:
            attrs["domain"] = QONNX_DOMAIN
        self.head = self.builder.node(op_type, inputs, op_type.lower(), **attrs)
        return self

    def weight_quant(self, op_type: str, weights: np.ndarray, *params, **attrs) -> str:
        """A Quant/BipolarQuant node on a weight initializer; returns its output name."""
        inputs = [self.builder.const("w_float", weights)]
        inputs += [self.builder.const(f"wq_p{i}", p) for i, p in enumerate(params)]
        return self.builder.node(op_type, inputs, "w_quant", domain=QONNX_DOMAIN, **attrs)

    def model(
        self,
        out_shape: list[int],
        input_dtype: str | None = None,
        also: tuple[tuple[str, list[int]], ...] = (),
    ) -> ModelWrapper:
        """The chain as a model whose outputs are the head and the tensors in `also`."""
        outputs = [(self.head, out_shape), *also]
        proto = self.builder.finish(outputs, "chain", domains=(QONNX_DOMAIN,))
        model = ModelWrapper(proto)
        if input_dtype is not None:
            model.set_tensor_datatype("x", DataType[input_dtype])
        return model.transform(InferShapes()).transform(InferDataTypes())


def check(
    model: ModelWrapper, transform: Transformation, x: np.ndarray, rtol: float = 0.0
) -> ModelWrapper:
    """The transformed model, after asserting it computes the same on `x` (bit-exact default)."""
    return verified_transform(model, transform, {"x": x.astype(np.float32)}, rtol=rtol)


def op_types(model: ModelWrapper) -> list[str]:
    return [n.op_type for n in model.graph.node]


def integers(shape: list[int], low: int, high: int, seed: int = 0) -> np.ndarray:
    """Random integers as float32: inputs on which power-of-two rewrites are exact."""
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.float32)


def floats(shape: list[int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 2.0, size=shape).astype(np.float32)


def thresholds_of(model: ModelWrapper) -> np.ndarray:
    mt = next(n for n in model.graph.node if n.op_type == "MultiThreshold")
    return model.get_initializer(mt.input[1])


def constants_first(model: ModelWrapper, *names: str) -> ModelWrapper:
    """The two-input nodes `names` with their initializer moved to input 0 (Mul(c, x)):
    qonnx's cleanup after every transform puts it last, the rules accept both orders."""
    for node in model.graph.node:
        if node.name in names:
            node.input[0], node.input[1] = node.input[1], node.input[0]
            assert model.get_initializer(node.input[0]) is not None, node.name
    return model
