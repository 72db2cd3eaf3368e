"""Read what a QONNX file quantizes: per compute node (Conv, Gemm, MatMul) the Quant or
BipolarQuant on its weight and bias, and the activation quantizers, as plain numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

COMPUTE = ("Conv", "Gemm", "MatMul")
QUANT = ("Quant", "BipolarQuant")


@dataclass
class QuantParams:
    op: str
    bits: float
    scale: np.ndarray
    zero_point: np.ndarray
    signed: bool
    narrow: bool
    source: np.ndarray | None  # the float initializer a parameter quantizer reads


def _attr(node, name: str, default: int) -> int:
    for attr in node.attribute:
        if attr.name == name:
            return int(attr.i)
    return default


def params(model: ModelWrapper, node) -> QuantParams:
    scale = model.get_initializer(node.input[1])
    source = model.get_initializer(node.input[0])
    if node.op_type == "BipolarQuant":
        return QuantParams("BipolarQuant", 1, scale, np.zeros(1), True, False, source)
    return QuantParams(
        "Quant",
        float(model.get_initializer(node.input[3])),
        scale,
        model.get_initializer(node.input[2]),
        bool(_attr(node, "signed", 1)),
        bool(_attr(node, "narrow", 0)),
        source,
    )


def compute_nodes(model: ModelWrapper) -> list:
    return [n for n in model.graph.node if n.op_type in COMPUTE]


def input_quant(model: ModelWrapper, node, index: int) -> QuantParams | None:
    """The quantizer producing input `index` of `node` (1: weight, 2: bias), None if float."""
    if len(node.input) <= index:
        return None
    producer = model.find_producer(node.input[index])
    if producer is None or producer.op_type not in QUANT:
        return None
    return params(model, producer)


def weight_quants(model: ModelWrapper) -> list[QuantParams | None]:
    return [input_quant(model, n, 1) for n in compute_nodes(model)]


def bias_quants(model: ModelWrapper) -> list[QuantParams | None]:
    return [input_quant(model, n, 2) for n in compute_nodes(model)]


def act_quants(model: ModelWrapper) -> list[QuantParams]:
    """Quantizers of computed tensors (the input and activations), in graph order."""
    return [
        params(model, n)
        for n in model.graph.node
        if n.op_type in QUANT and model.get_initializer(n.input[0]) is None
    ]


def output_producer(model: ModelWrapper):
    return model.find_producer(model.graph.output[0].name)
