"""W1A3 post-training quantization of an imported Darknet detector (Tinier-YOLO, YOLOv2/v3-tiny).

Roles (quant/darknet_roles.py): the first conv and every linear head (a conv feeding a [yolo]
or [region] layer; the last conv when there is none) get `first_last_bits`-bit signed
per-channel weights (and an 8-bit image input, scale 1/255), or stay float when
`first_last_bits` is None; heads get no activation quantizer. Every other conv is hidden:

- Binary weights with Darknet's semantics, w -> (w > 0 ? +1 : -1) * mean|w| per output filter
  (exact zeros go to -1, as in Darknet; the sign is stored in the initializer, so qonnx's
  BipolarQuant, which maps 0 to +1, never sees a zero).
- An `act_bits` activation Quant after the activation (batch norm stays explicit: the
  streamliner absorbs it into thresholds), calibrated on images (minmax, percentile, entropy
  or mse), on a grid that follows the activation's sign:
  - relu: unsigned codes 0 .. 2^b - 1 (0..7 at 3 bits), scale s = high / (2^b - 1), where high
    is the calibrated clip of the values.
  - leaky, linear: signed codes -2^(b-1) .. 2^(b-1) - 1 (-4..3 at 3 bits, INT3, not narrow).
    Each sign is calibrated on its own as an unsigned (b-1)-bit quantizer of its magnitudes:
    high (x > 0) and low (|x| of x < 0, 0 when there are none); the scale covers both,
    s = max(high / (2^(b-1) - 1), low / 2^(b-1)). A leaky's negative half is ~10x smaller,
    so it usually takes codes -1 and -2 only.
  - Other activations (logistic, ...) are refused naming the cfg line.
- A [route] of several layers concatenates activations: all activations it joins (through
  max-pools, upsamples and one-layer routes) share one grid, signed when any member is, with
  the largest of the members' scales; the report names the group (`shared_scale_with`).
"""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import NET_KEY, layer_outputs
from qnnflow.quant.calibration import RangeCollector, calibrate
from qnnflow.quant.darknet_roles import ConvRole, cfg_name, conv_roles, share_groups
from qnnflow.quant.qonnx_nodes import (
    insert_quant_after,
    quantize_conv_weights_int,
    quantize_weight_input,
)
from qnnflow.util import progress
from qnnflow.util.graph_exec import PreparedGraph

QUANT_REPORT_KEY = "qnnflow.quant.report"
GRID_PRESERVING = {"maxpool", "route", "upsample", "region", "yolo"}


def _conv_node(model: ModelWrapper, index: int):
    prefix = f"l{index:03d}_conv"
    for node in model.graph.node:
        if node.op_type == "Conv" and node.name.startswith(prefix):
            return node
    raise QnnflowError(f"no Conv node for Darknet layer {index}")


def _check_supported(model: ModelWrapper, records: list[dict]) -> None:
    net = json.loads(model.get_metadata_prop(NET_KEY) or "{}")
    if net.get("fold_bn"):
        raise QnnflowError("W1A3 needs batch norm kept explicit: import without --fold-bn")
    for rec in records:
        if rec["type"] not in GRID_PRESERVING | {"convolutional"}:
            raise QnnflowError(
                f"{cfg_name(model)}:{rec['line']}: layer {rec['index']} ({rec['type']}) "
                "is not supported by the W1A3 scheme"
            )


def _quantize_weights(model: ModelWrapper, roles: list[ConvRole], bits: int | None) -> list[dict]:
    report = []
    for role in roles:
        node = _conv_node(model, role.record["index"])
        w = model.get_initializer(node.input[1]).astype(np.float32)
        per_filter = (-1, *([1] * (w.ndim - 1)))
        if role.weights == "binary":
            scale = np.abs(w).reshape(w.shape[0], -1).mean(axis=1).reshape(per_filter)
            quantize_weight_input(
                model, node, "BipolarQuant", np.where(w > 0, 1.0, -1.0), scale.astype(np.float32)
            )
            report.append(
                {
                    "tensor": node.input[1],
                    "kind": "weight",
                    "bits": 1,
                    "scheme": "bipolar, scale mean|w| per filter",
                }
            )
        elif bits is not None:
            quantize_conv_weights_int(model, node, bits)
            report.append(
                {
                    "tensor": node.input[1],
                    "kind": "weight",
                    "bits": bits,
                    "role": role.weights,
                    "scheme": "signed narrow, scale max|w| per filter",
                }
            )
    return report


def code_range(bits: int, signed: bool) -> tuple[int, int]:
    """The integer codes of a `bits`-bit activation grid: [-2^(b-1), 2^(b-1)-1] or [0, 2^b-1]."""
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)


def _side(values: np.ndarray, method: str, bits: int, percentile: float) -> float:
    """Calibrated clip of the positive part of `values` as an unsigned grid (0 when none)."""
    if not np.any(values > 0):
        return 0.0
    return calibrate(values, method, bits, signed=False, percentile=percentile).high


def activation_range(
    samples: np.ndarray, method: str, bits: int, signed: bool, percentile: float
) -> tuple[float, float]:
    """(low, high) clip of one activation: low = 0 unsigned, else the negative side's clip."""
    if not signed:
        return 0.0, calibrate(samples, method, bits, signed=False, percentile=percentile).high
    high = _side(samples, method, bits - 1, percentile)
    low = _side(-samples, method, bits - 1, percentile)
    return -low, high


def grid_scale(low: float, high: float, bits: int, signed: bool) -> float:
    """The smallest scale whose code range covers [low, high] (1.0 for an all-zero range)."""
    q_min, q_max = code_range(bits, signed)
    scale = max(high / q_max, (low / q_min) if q_min else 0.0)
    return scale if scale > 0 else 1.0


def _quantize_activations(
    model: ModelWrapper,
    roles: list[ConvRole],
    records: list[dict],
    calibration: list[np.ndarray],
    method: str,
    percentile: float,
    bits: int,
) -> list[dict]:
    hidden = [r for r in roles if r.quantized_activation]
    signed = {r.record["output"]: r.signed for r in hidden}
    acts = list(signed)
    groups = share_groups(model, records, acts)
    collectors = {t: RangeCollector() for t in acts}
    input_name = model.graph.input[0].name
    prepared = PreparedGraph(model)  # execute_onnx bit for bit, prepared once
    for x in progress.track(calibration, "calibration, images"):
        context = prepared.run({input_name: x}, full=True)
        for tensor, collector in collectors.items():
            collector.update(context[tensor])
    report = []
    for group in groups:
        group_signed = any(signed[t] for t in group)
        ranges = {
            t: activation_range(collectors[t].samples(), method, bits, group_signed, percentile)
            for t in group
        }
        scale = max(grid_scale(*ranges[t], bits, group_signed) for t in group)
        for tensor in group:
            insert_quant_after(model, tensor, np.float32(scale), bits, group_signed)
            entry = {
                "tensor": tensor,
                "kind": "activation",
                "bits": bits,
                "signed": group_signed,
                "levels": list(code_range(bits, group_signed)),
                "range": list(ranges[tensor]),
                "scale": float(np.float32(scale)),
                "method": method,
                "clipped_fraction": float(
                    np.mean(
                        (collectors[tensor].samples() > ranges[tensor][1])
                        | (collectors[tensor].samples() < ranges[tensor][0])
                    )
                ),
            }
            if len(group) > 1:
                entry["shared_scale_with"] = [t for t in group if t != tensor]
            report.append(entry)
    return report


def quantize_w1a3(
    model: ModelWrapper,
    calibration: list[np.ndarray],
    method: str = "percentile",
    percentile: float = 99.99,
    act_bits: int = 3,
    first_last_bits: int | None = 8,
) -> ModelWrapper:
    """Return the QONNX model; the per-tensor report is in metadata `qnnflow.quant.report`."""
    if not calibration:
        raise QnnflowError("no calibration images")
    records = layer_outputs(model)
    _check_supported(model, records)
    roles = conv_roles(model, records)
    model = ModelWrapper(model.model.SerializeToString())  # work on a copy
    report = _quantize_weights(model, roles, first_last_bits)
    model = model.transform(InferShapes())
    report += _quantize_activations(
        model, roles, records, calibration, method, percentile, act_bits
    )
    input_name = model.graph.input[0].name
    if first_last_bits is not None:
        insert_quant_after(model, input_name, np.float32(1 / 255), 8, False, name="input_quant")
        report.append(
            {
                "tensor": input_name,
                "kind": "input",
                "bits": 8,
                "scale": 1 / 255,
                "scheme": "8-bit image",
            }
        )
    model = model.transform(InferShapes())
    model.set_metadata_prop(QUANT_REPORT_KEY, json.dumps(report))
    return model
