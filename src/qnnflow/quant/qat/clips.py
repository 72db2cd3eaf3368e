"""The learned 3-bit activation clips of a QAT model: read, recorded and restored.

Darknet .weights hold only the latent float weights; the clips live in the QAT run's QONNX
export (activation Quant scales) and its train.json (`act_clips`). Restarting QAT from W1A3
weights must start from these clips: re-calibrating them on the float forward of binary
latent weights throws the training away (mAP@0.5 0.53 instead of 33).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.quant.qat.model import DarknetQatNet

log = logging.getLogger(__name__)

CLIPS_KEY = "act_clips"  # in train.json and in the export's qnnflow.quant.qat metadata
PASS_THROUGH = {"Relu", "BatchNormalization", "Mul", "Add"}  # between a Conv and its clip


def clips_of(model: DarknetQatNet) -> dict[int, float]:
    """Per conv layer index, the learned clip (largest activation value) of its quantizer."""
    clips = {}
    for block in model.conv_blocks():
        quant = getattr(block.act, "act_quant", None)
        if quant is None:
            continue
        value = quant.fused_activation_quant_proxy.tensor_quant.scaling_impl.value
        clips[block.index] = abs(float(value.detach().cpu()))
    return clips


def _conv_of(model: ModelWrapper, tensor: str) -> str | None:
    """The Conv node whose output reaches `tensor` through BN/ReLU/scale nodes only."""
    node = model.find_producer(tensor)
    while node is not None and node.op_type in PASS_THROUGH:
        node = model.find_producer(node.input[0])
    return node.name if node is not None and node.op_type == "Conv" else None


def clips_from_qonnx(path: Path, network: DarknetNetwork) -> dict[int, float]:
    """The clips of a QAT QONNX export, by conv layer index (the k-th Conv is the cfg's k-th
    conv; each activation Quant's clip is scale * (2**bits - 1), unsigned)."""
    try:
        model = ModelWrapper(str(path))
    except Exception as exc:  # noqa: BLE001 - a corrupt file: one line naming it
        raise QnnflowError(f"{path}: cannot read the QAT export: {exc}") from None
    recorded = json.loads(model.get_metadata_prop("qnnflow.quant.qat") or "{}").get(CLIPS_KEY)
    if recorded:
        return {int(k): float(v) for k, v in recorded.items()}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    layers = network.conv_layers
    if len(convs) != len(layers):
        raise QnnflowError(
            f"{path}: {len(convs)} convs, but {network.path} has {len(layers)}; "
            "the export is not of this cfg"
        )
    index = {}
    for node, layer in zip(convs, layers, strict=True):
        shape = model.get_tensor_shape(node.input[1])
        if shape is None or shape[0] != layer.filters:
            raise QnnflowError(
                f"{path}: conv {node.name} has weights {shape}, but {network.path}:{layer.line}"
                f" has {layer.filters} filters; the export is not of this cfg"
            )
        index[node.name] = layer.index
    clips = {}
    for node in model.graph.node:
        if node.op_type != "Quant" or model.get_initializer(node.input[0]) is not None:
            continue
        conv = _conv_of(model, node.input[0])
        if conv is None:
            continue  # the image's input quantizer
        scale = model.get_initializer(node.input[1])
        bits = model.get_initializer(node.input[3])
        if scale is None or bits is None or np.asarray(scale).size != 1:
            raise QnnflowError(f"{path}: activation quantizer {node.name} is not per-tensor")
        levels = 2 ** int(np.asarray(bits).item()) - 1
        clips[index[conv]] = float(np.float32(np.asarray(scale, np.float64).item() * levels))
    return clips


def _record_qonnx(record: dict, folder: Path) -> Path | None:
    """The QONNX export a training record names (`qonnx`, or `w1a3_qat.qonnx`)."""
    name = record.get("qonnx") or record.get("w1a3_qat", {}).get("qonnx")
    if not name:
        return None
    beside = folder / Path(name).name  # the record's folder may have moved since
    return beside if beside.is_file() else Path(name)


def find_start_clips(weights: Path, network: DarknetNetwork) -> tuple[dict[int, float], str]:
    """The clips W1A3 start weights were trained with: `act_clips` of `<stem>.train.json`
    beside them, else the QAT export it names; ({}, '') when the weights carry none."""
    record_path = weights.with_suffix(".train.json")
    if not record_path.is_file():
        return {}, ""
    try:
        record = json.loads(record_path.read_text())
    except json.JSONDecodeError as exc:
        raise QnnflowError(f"{record_path}: not valid JSON: {exc}") from None
    if record.get(CLIPS_KEY):
        return {int(k): float(v) for k, v in record[CLIPS_KEY].items()}, str(record_path)
    scheme = record.get("scheme")
    if (scheme.get("name") if isinstance(scheme, dict) else scheme) == "float":
        return {}, ""
    qonnx = _record_qonnx(record, record_path.parent)
    if qonnx is None or not qonnx.is_file():
        return {}, ""
    clips = clips_from_qonnx(qonnx, network)
    if clips:
        log.info("activation clips of %s restored from %s", weights, qonnx)
    return clips, str(qonnx) if clips else ""
