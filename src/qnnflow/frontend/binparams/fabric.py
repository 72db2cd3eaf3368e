"""Tinier-YOLO's first and last convs as quantized layers the flow puts in hardware (the
whole-in-fabric variant): an 8-bit input image (scale 1/255), conv0 with 8-bit per-filter
weights, its bias and the 3-bit clip/round written as Add -> Mul -> Quant (streamlining
folds them into thresholds), and conv8 with 8-bit per-filter weights whose integer
accumulators leave the accelerator (the host applies the scales and the bias: Mul, Add)."""

from __future__ import annotations

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams.params import TinierYoloParams
from qnnflow.util.graph_builder import GraphBuilder

QONNX = "qonnx.custom_op.general"
WEIGHT_BITS = 8
INPUT_LEVELS = 255  # an 8-bit image: pixel codes k / 255


def _quant(gb: GraphBuilder, x: str, scale, bits: int, signed: bool, name: str) -> str:
    """A qonnx Quant (zero point 0, ROUND); narrow range for signed weights."""
    inputs = [
        x,
        gb.const(f"{name}_scale", scale),
        gb.const(f"{name}_zeropt", 0.0),
        gb.const(f"{name}_bitwidth", float(bits)),
    ]
    return gb.node(
        "Quant",
        inputs,
        name,
        domain=QONNX,
        signed=int(signed),
        narrow=int(signed),
        rounding_mode="ROUND",
    )


def _weights(gb: GraphBuilder, weight: np.ndarray, name: str) -> str:
    """8-bit signed narrow weights, one scale (max|w| / 127) per output filter."""
    top = np.abs(weight).reshape(weight.shape[0], -1).max(axis=1)
    scale = (np.maximum(top, 1e-12) / (2 ** (WEIGHT_BITS - 1) - 1)).reshape(-1, 1, 1, 1)
    return _quant(gb, gb.const(f"{name}_W", weight), scale, WEIGHT_BITS, True, f"{name}_wquant")


def _bias(gb: GraphBuilder, y: str, bias: np.ndarray, name: str) -> str:
    return gb.node("Add", [y, gb.const(f"{name}_B", bias.reshape(1, -1, 1, 1))], f"{name}_bias")


def add_conv0_fabric(gb: GraphBuilder, params: TinierYoloParams, image: str) -> str:
    """Image [0, 1] -> 3-bit codes round(clip(y * levels / max, 0, levels)), y = conv0 + b."""
    if params.act_levels != 7:
        raise QnnflowError(
            f"conv0 has {params.act_levels} activation levels; the fabric variant's 3-bit "
            "quantizer needs 7"
        )
    p, s = params.conv0_pad, params.conv0_stride
    x = _quant(gb, image, 1.0 / INPUT_LEVELS, 8, False, "input_quant")
    y = gb.node(
        "Conv",
        [x, _weights(gb, params.conv0_weight, "conv0")],
        "conv0",
        kernel_shape=list(params.conv0_weight.shape[2:]),
        strides=[s, s],
        pads=[p, p, p, p],
    )
    y = _bias(gb, y, params.conv0_bias, "conv0")
    gain = float(params.act_levels) / params.act_clip_max
    y = gb.node("Mul", [y, gb.const("conv0_to_levels", gain)], "conv0_scaled")
    return _quant(gb, y, 1.0, 3, False, "conv0_codes")


def add_conv8_fabric(gb: GraphBuilder, params: TinierYoloParams, codes: str) -> str:
    """Hidden-layer codes (NCHW) -> the raw region tensor: conv8 of codes x input scale."""
    scaled = gb.node(
        "Mul", [codes, gb.const("conv8_in_scale", params.conv8_input_scale)], "conv8_in"
    )
    y = gb.node(
        "Conv",
        [scaled, _weights(gb, params.conv8_weight, "conv8")],
        "conv8",
        kernel_shape=list(params.conv8_weight.shape[2:]),
    )
    return _bias(gb, y, params.conv8_bias, "conv8")
