"""W1A3 post-training quantization of an imported Darknet detector (Tinier-YOLO style).

- Hidden convs: binary weights with Darknet's semantics, w -> (w > 0 ? +1 : -1) * mean|w| per
  output filter (exact zeros go to -1, as in Darknet; the sign is stored in the initializer,
  so qonnx's BipolarQuant, which maps 0 to +1, never sees a zero).
- Activations after every ReLU except the head's: unsigned `act_bits` Quant with a clip
  calibrated on images (minmax, percentile, entropy or mse). Leaky ReLU has negative outputs
  that an unsigned grid cannot hold, so it is refused with the layer and its cfg line.
- First and last conv: `first_last_bits`-bit signed per-channel weights (and an 8-bit image
  input, scale 1/255), or left float when `first_last_bits` is None.
Batch norm stays explicit (the streamliner absorbs it into thresholds).
"""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import NET_KEY, layer_outputs
from qnnflow.quant.calibration import RangeCollector, calibrate
from qnnflow.quant.qonnx_nodes import (
    insert_quant_after,
    quantize_conv_weights_int,
    quantize_weight_input,
)

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
    cfg = net.get("cfg", "<cfg>")
    if net.get("fold_bn"):
        raise QnnflowError("W1A3 needs batch norm kept explicit: import without --fold-bn")
    convs = [r for r in records if r["type"] == "convolutional"]
    for rec in convs[:-1]:
        if rec["activation"] != "relu":
            raise QnnflowError(
                f"{cfg}:{rec['line']}: layer {rec['index']} uses activation={rec['activation']}; "
                "W1A3 quantizes activations to an unsigned 3-bit grid, which only ReLU fits "
                "(retrain with activation=relu, as Tinier-YOLO does)"
            )
    for rec in records:
        if rec["type"] not in GRID_PRESERVING | {"convolutional"}:
            raise QnnflowError(
                f"{cfg}:{rec['line']}: layer {rec['index']} ({rec['type']}) "
                "is not supported by the W1A3 scheme"
            )


def _quantize_weights(model: ModelWrapper, convs: list[dict], bits: int | None) -> list[dict]:
    report = []
    for position, rec in enumerate(convs):
        node = _conv_node(model, rec["index"])
        w = model.get_initializer(node.input[1]).astype(np.float32)
        per_filter = (-1, *([1] * (w.ndim - 1)))
        if 0 < position < len(convs) - 1:
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
                    "scheme": "signed narrow, scale max|w| per filter",
                }
            )
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
    convs = [r for r in records if r["type"] == "convolutional"]
    if len(convs) < 3:
        raise QnnflowError("W1A3 needs a first conv, hidden convs and a last conv")
    model = ModelWrapper(model.model.SerializeToString())  # work on a copy
    report = _quantize_weights(model, convs, first_last_bits)
    model = model.transform(InferShapes())
    act_tensors = [r["output"] for r in convs[:-1]]
    collectors = {t: RangeCollector() for t in act_tensors}
    input_name = model.graph.input[0].name
    for x in calibration:
        context = execute_onnx(model, {input_name: x}, return_full_exec_context=True)
        for tensor, collector in collectors.items():
            collector.update(context[tensor])
    levels = 2**act_bits - 1
    for tensor, collector in collectors.items():
        result = calibrate(
            collector.samples(), method, act_bits, signed=False, percentile=percentile
        )
        insert_quant_after(model, tensor, np.float32(result.high / levels), act_bits, False)
        report.append(
            {
                "tensor": tensor,
                "kind": "activation",
                "bits": act_bits,
                "range": [result.low, result.high],
                "scale": result.high / levels,
                "method": method,
                "clipped_fraction": result.clipped_fraction,
            }
        )
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
