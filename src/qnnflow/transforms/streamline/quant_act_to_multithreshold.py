"""Activation quantizers become integer-code thresholding followed by their scale:

    Quant(x; s, z=0, b bits, mode)  ==>  Mul(MultiThreshold(x; T, out_bias=q_min), s)
    BipolarQuant(x; s)              ==>  Mul(MultiThreshold(x; T_0, out_scale=2, out_bias=-1), s)

Quant computes code(x) = R(clip(fl(x / s), q_min, q_max)) in float32 with the rounding R of its
mode (qonnx: ROUND = HALF_EVEN = half to even, HALF_UP / HALF_DOWN = half away from / towards
zero, UP / DOWN = away from / towards zero, CEIL, FLOOR; Brevitas' ROUND_TO_ZERO is DOWN).
Every R is non-decreasing, so for each code j in q_min+1 .. q_max the inputs with
code(x) >= j are exactly {x >= T_j} over float32 x, where T_j is the least float32 x with
code(x) >= j; then count(x >= T_j) + q_min == code(x) for every float32 x, ties included.

In real arithmetic the boundary of code >= j sits at h_j = j - 1/2 for the half modes,
j for FLOOR (and DOWN with j > 0, UP with j <= 0), j - 1 for CEIL (and UP with j > 0,
DOWN with j <= 0). Whether x / s == h_j itself passes decides between `>=` and `>`:
half to even passes the tie when j is even (83.5 -> 84, 82.5 -> 82), HALF_UP when j > 0,
HALF_DOWN when j <= 0; for the other modes a boundary at j passes and one at j - 1 does not
(FLOOR(2.0) = 2, CEIL(2.0) = 2 < 3). A strict boundary is one float32 step
above h_j * s, which no closed formula over one threshold vector states for every j and
mode; T_j is therefore found by evaluating the quantizer itself on float32 values
(least_float32.least_accepted: bisection over the ordered float32 values), which also
absorbs the float rounding of x / s. Later rewrites keep the strictness the same way
(AbsorbMul/AddIntoMultiThreshold take the least float32 input that reaches T), and for an
integer input, x >= T <=> x >= ceil(T) (RoundThresholdsToIntegers) is exact for any real T.

s must be positive, a scalar or one value per channel (axis 1); z must be 0.
The MultiThreshold is named `<quant name>_multithreshold`, so its codes can be traced back.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.quant import max_int, min_int, resolve_rounding_mode
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.least_float32 import least_accepted
from qnnflow.transforms.streamline.patterns import (
    QONNX_DOMAIN,
    Matches,
    channel_vector,
    new_initializer,
    new_tensor,
)

MODE_ALIASES = {"ROUND_TO_ZERO": "DOWN"}  # Brevitas' name for qonnx's DOWN


def rounding_function(mode: str):
    """qonnx's rounding for a Quant rounding_mode (None when qonnx does not define it)."""
    mode = mode.upper()
    try:
        return resolve_rounding_mode(MODE_ALIASES.get(mode, mode))
    except ValueError:
        return None


def quant_thresholds(
    scale: np.ndarray, bits: int, signed: bool, narrow: bool, mode: str
) -> np.ndarray:
    """(C, n) thresholds T[c, j] = least float32 x with code(x) >= q_min + 1 + j for a Quant
    of per-channel `scale` (shape (C,), float32 or float64 as in the graph)."""
    rounding = rounding_function(mode)
    q_min, q_max = min_int(signed, narrow, bits), max_int(signed, narrow, bits)
    codes = np.arange(q_min + 1, q_max + 1, dtype=np.float64).reshape(1, -1)
    s = np.asarray(scale).reshape(-1, 1)
    low, high = np.float32(q_min), np.float32(q_max)

    def accepts(x: np.ndarray) -> np.ndarray:
        y = x / s  # float32 unless the scale is float64, as in qonnx's execution
        return rounding(np.clip(y, low, high)) >= codes

    with np.errstate(over="ignore", under="ignore"):
        return least_accepted(accepts, (s.shape[0], codes.shape[1]))


def sign_thresholds(scale: np.ndarray) -> np.ndarray:
    """(C, 1) least float32 x with x / s >= 0 (BipolarQuant and 1-bit signed Quant)."""
    s = np.asarray(scale).reshape(-1, 1)
    with np.errstate(over="ignore", under="ignore"):
        return least_accepted(lambda x: (x / s) >= 0, (s.shape[0], 1))


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
    if scale is None or np.any(scale <= 0) or not np.all(np.isfinite(scale)):
        return None
    scale = scale.astype(np.result_type(np.float32, values[0].dtype))  # exact: widened before
    if node.op_type == "BipolarQuant":
        return _sign_plan(scale, values[0])
    zeropt, bits = values[1], values[2]
    if np.any(zeropt != 0) or bits.size != 1 or int(bits) != bits:
        return None
    op = getCustomOp(node)
    bits, signed, narrow = int(bits), op.get_nodeattr("signed"), op.get_nodeattr("narrow")
    if bits == 1 and signed:
        return _sign_plan(scale, values[0])
    mode = op.get_nodeattr("rounding_mode")
    if rounding_function(mode) is None:
        return None
    if signed:
        dtype = f"INT{bits}"
    else:
        dtype = "BINARY" if bits == 1 else f"UINT{bits}"
    return {
        "thresholds": quant_thresholds(_distinct(scale), bits, signed, narrow, mode),
        "out_bias": float(min_int(signed, narrow, bits)),
        "out_scale": 1.0,
        "dtype": dtype,
        "scale": values[0],
    }


def _sign_plan(scale: np.ndarray, scale_value: np.ndarray) -> dict:
    return {
        "thresholds": sign_thresholds(_distinct(scale)),
        "out_bias": -1.0,
        "out_scale": 2.0,
        "dtype": "BIPOLAR",
        "scale": scale_value,
    }


def _distinct(scale: np.ndarray) -> np.ndarray:
    """One scale when every channel shares it (thresholds (1, n)), else the vector."""
    return scale[:1] if np.all(scale == scale[0]) else scale


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
