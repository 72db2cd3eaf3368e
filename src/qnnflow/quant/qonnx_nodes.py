"""Insert QONNX quantizer nodes (Quant, BipolarQuant) into a float graph."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

QONNX_DOMAIN = "qonnx.custom_op.general"


def _const(model: ModelWrapper, name: str, value) -> str:
    model.set_initializer(name, np.asarray(value, dtype=np.float32))
    return name


def insert_quant_after(
    model: ModelWrapper,
    tensor: str,
    scale,
    bits: int,
    signed: bool,
    narrow: bool = False,
    name: str | None = None,
) -> str:
    """Route every consumer of `tensor` (and a graph output) through a new Quant node."""
    name = name or f"{tensor}_quant"
    out = f"{name}_out"
    consumers = model.find_consumers(tensor)
    node = helper.make_node(
        "Quant",
        [
            tensor,
            _const(model, f"{name}_scale", scale),
            _const(model, f"{name}_zeropt", 0.0),
            _const(model, f"{name}_bitwidth", float(bits)),
        ],
        [out],
        name=name,
        domain=QONNX_DOMAIN,
        signed=int(signed),
        narrow=int(narrow),
        rounding_mode="ROUND",
    )
    producer = model.find_producer(tensor)
    position = list(model.graph.node).index(producer) + 1 if producer is not None else 0
    model.graph.node.insert(position, node)
    for consumer in consumers:
        for i, inp in enumerate(consumer.input):
            if inp == tensor:
                consumer.input[i] = out
    for output in model.graph.output:
        if output.name == tensor:
            output.name = out
    return out


def quantize_weight_input(
    model: ModelWrapper, node, op_type: str, weight, scale, bits: int = 1
) -> None:
    """Feed `node`'s weight input (input 1) through a Quant/BipolarQuant of a new initializer."""
    name = f"{node.name}_wquant"
    w_name = _const(model, f"{node.name}_W_float", weight)
    inputs = [w_name, _const(model, f"{name}_scale", scale)]
    attrs = {}
    if op_type == "Quant":
        inputs += [
            _const(model, f"{name}_zeropt", 0.0),
            _const(model, f"{name}_bitwidth", float(bits)),
        ]
        attrs = {"signed": 1, "narrow": 1, "rounding_mode": "ROUND"}
    out = f"{name}_out"
    quant = helper.make_node(op_type, inputs, [out], name=name, domain=QONNX_DOMAIN, **attrs)
    model.graph.node.insert(list(model.graph.node).index(node), quant)
    old = node.input[1]
    node.input[1] = out
    if not model.find_consumers(old):
        model.graph.initializer.remove(next(i for i in model.graph.initializer if i.name == old))


def quantize_conv_weights_int(model: ModelWrapper, node, bits: int) -> None:
    """Signed narrow-range `bits`-bit weights, one scale (max|w| / (2^(bits-1) - 1)) per
    output filter, as a Quant node in front of the conv's weight input."""
    w = model.get_initializer(node.input[1]).astype(np.float32)
    top = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
    scale = np.maximum(top, 1e-12) / (2 ** (bits - 1) - 1)
    per_filter = scale.reshape(-1, *([1] * (w.ndim - 1))).astype(np.float32)
    quantize_weight_input(model, node, "Quant", w, per_filter, bits)
