"""Unsigned activation Quant -> thresholds producing integer codes, then the scale:
Quant(x; s, b bits, unsigned, zero point 0)  ==>  Mul(MultiThreshold(x; T_k = (k - 1/2) s), s)
for k = 1 .. 2^b - 1. Equal except where x/s is exactly k - 1/2 (Quant rounds half to even,
the thresholds round half up); the build's equivalence check would report such a tie."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

QONNX_DOMAIN = "qonnx.custom_op.general"


def _scalar_init(model: ModelWrapper, name: str) -> float | None:
    value = model.get_initializer(name)
    if value is None or value.size != 1:
        return None
    return float(value.reshape(-1)[0])


def _matches(model: ModelWrapper, node) -> tuple[float, int] | None:
    if node.op_type != "Quant" or model.get_initializer(node.input[0]) is not None:
        return None
    scale, zeropt, bits = (_scalar_init(model, name) for name in node.input[1:4])
    op = getCustomOp(node)
    if None in (scale, zeropt, bits) or zeropt != 0 or scale <= 0 or op.get_nodeattr("signed"):
        return None
    if op.get_nodeattr("narrow") or op.get_nodeattr("rounding_mode") != "ROUND":
        return None
    return scale, int(bits)


class ActQuantToThresholds(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = [(n, m) for n in model.graph.node if (m := _matches(model, n))]
        for node, (scale, bits) in matches:
            levels = 2**bits - 1
            thresholds = (np.arange(1, levels + 1) - 0.5) * scale
            t_name = f"{node.name}_thresholds"
            model.set_initializer(t_name, thresholds.astype(np.float32).reshape(1, -1))
            codes = f"{node.name}_codes"
            s_name = f"{node.name}_step"
            model.set_initializer(s_name, np.asarray(scale, dtype=np.float32))
            mt = helper.make_node(
                "MultiThreshold",
                [node.input[0], t_name],
                [codes],
                name=f"{node.name}_mt",
                domain=QONNX_DOMAIN,
                out_dtype=f"UINT{bits}",
            )
            mul = helper.make_node(
                "Mul", [codes, s_name], [node.output[0]], name=f"{node.name}_scale"
            )
            position = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            model.graph.node.insert(position, mt)
            model.graph.node.insert(position + 1, mul)
            model.set_tensor_shape(codes, model.get_tensor_shape(node.output[0]))
            model.set_tensor_datatype(codes, DataType[f"UINT{bits}"])
        return model, False
