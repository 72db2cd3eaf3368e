"""Activation quantizers become integer-code thresholding followed by their scale:

    Quant(x; s, z=0, b bits)  ==>  Mul(MultiThreshold(x; T, out_bias=q_min), s)
        T_j = (j - 1/2) * s for j = q_min+1 .. q_max   (FLOOR rounding: T_j = j * s)
    BipolarQuant(x; s)        ==>  Mul(MultiThreshold(x; [0], out_scale=2, out_bias=-1), s)

count(x >= T_j) + q_min is the code clip(round(x / s), q_min, q_max). ROUND (half to even),
HALF_EVEN and HALF_UP agree with the thresholds (which round halves up) except where x / s
is exactly a half-integer. s must be positive, a scalar or one value per channel (axis 1).
The MultiThreshold is named `<quant name>_multithreshold`, so its codes can be traced back.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.quant import max_int, min_int
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    QONNX_DOMAIN,
    Matches,
    channel_vector,
    new_initializer,
    new_tensor,
)

HALF_ROUNDING = ("ROUND", "HALF_EVEN", "HALF_UP")


def _plan(model: ModelWrapper, node) -> dict | None:
    """Thresholds and output encoding for an activation quantizer, or None when unsupported."""
    if node.op_type not in ("Quant", "BipolarQuant"):
        return None
    if model.get_initializer(node.input[0]) is not None:
        return None  # a weight quantizer
    values = [model.get_initializer(name) for name in node.input[1:]]
    shape = model.get_tensor_shape(node.input[0])
    if any(v is None for v in values) or shape is None or len(shape) < 2:
        return None
    scale = channel_vector(values[0], shape, axis=1)
    if scale is None or np.any(scale <= 0):
        return None
    if node.op_type == "BipolarQuant":
        return _sign_plan(values[0])
    zeropt, bits = values[1], values[2]
    if np.any(zeropt != 0) or bits.size != 1 or int(bits) != bits:
        return None
    op = getCustomOp(node)
    bits, signed, narrow = int(bits), op.get_nodeattr("signed"), op.get_nodeattr("narrow")
    if bits == 1 and signed:
        return _sign_plan(values[0])
    mode = op.get_nodeattr("rounding_mode").upper()
    if mode not in (*HALF_ROUNDING, "FLOOR"):
        return None
    q_min, q_max = min_int(signed, narrow, bits), max_int(signed, narrow, bits)
    steps = np.arange(q_min + 1, q_max + 1, dtype=np.float64)
    if mode in HALF_ROUNDING:
        steps -= 0.5
    if signed:
        dtype = f"INT{bits}"
    else:
        dtype = "BINARY" if bits == 1 else f"UINT{bits}"
    return {
        "thresholds": _per_channel(steps, scale),
        "out_bias": float(q_min),
        "out_scale": 1.0,
        "dtype": dtype,
        "scale": values[0],
    }


def _sign_plan(scale_value: np.ndarray) -> dict:
    return {
        "thresholds": np.zeros((1, 1)),
        "out_bias": -1.0,
        "out_scale": 2.0,
        "dtype": "BIPOLAR",
        "scale": scale_value,
    }


def _per_channel(steps: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(C, n) thresholds steps * s_c, or (1, n) when every channel shares the scale."""
    if np.all(scale == scale[0]):
        return (steps * scale[0]).reshape(1, -1)
    return scale.reshape(-1, 1) * steps.reshape(1, -1)


class QuantActToMultiThreshold(Transformation):
    """Activation Quant/BipolarQuant -> MultiThreshold producing integer codes, then Mul(s)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for node in model.graph.node:
            plan = _plan(model, node)
            if plan is not None:
                matches.add((node,), plan)
        for node, plan in matches:
            self._rewrite(model, node, plan)
        return model, bool(matches)

    @staticmethod
    def _rewrite(model: ModelWrapper, node, plan: dict) -> None:
        name = node.name or node.output[0]
        t_name = new_initializer(model, f"{name}_thresholds", plan["thresholds"])
        s_name = new_initializer(model, f"{name}_act_scale", plan["scale"])
        codes = new_tensor(model, model.get_tensor_shape(node.output[0]), f"{name}_codes")
        model.set_tensor_datatype(codes, DataType[plan["dtype"]])
        mt = helper.make_node(
            "MultiThreshold",
            [node.input[0], t_name],
            [codes],
            name=f"{name}_multithreshold",
            domain=QONNX_DOMAIN,
            out_dtype=plan["dtype"],
            out_scale=plan["out_scale"],
            out_bias=plan["out_bias"],
        )
        mul = helper.make_node("Mul", [codes, s_name], [node.output[0]], name=f"{name}_scale")
        position = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        model.graph.node.insert(position, mt)
        model.graph.node.insert(position + 1, mul)
