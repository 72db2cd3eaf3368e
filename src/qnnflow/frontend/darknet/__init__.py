"""Darknet (.cfg + .weights) importer: parse, check, and convert to a float QONNX graph."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.frontend.darknet.names import attach_names
from qnnflow.frontend.darknet.parse_network import load_network
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY, LAYERS_KEY, NET_KEY, network_to_onnx
from qnnflow.frontend.darknet.weights import (
    DarknetWeights,
    check_weight_values,
    read_weights,
    write_weights,
)

__all__ = [
    "DarknetNetwork",
    "DarknetWeights",
    "expose_layer_outputs",
    "import_darknet",
    "layer_outputs",
    "load_network",
    "read_weights",
    "write_weights",
    "HEADS_KEY",
    "LAYERS_KEY",
    "NET_KEY",
]


def import_darknet(
    cfg_path: str | Path,
    weights_path: str | Path,
    input_size: tuple[int, int] | None = None,
    fold_bn: bool = False,
    binary_mode: str = "float",
) -> ModelWrapper:
    """Darknet cfg + weights -> float QONNX ModelWrapper (input "input", NCHW float32).

    `binary_mode="float"` keeps `binary=1`/`xnor=1` layers' float weights (the quantizer
    decides); `"darknet"` applies Darknet's GPU binarization (sign * mean|w| per filter).
    Class names come from `<cfg stem>.names` beside the cfg, when it exists.
    """
    network = load_network(cfg_path, input_size)
    weights = read_weights(weights_path, network)
    check_weight_values(weights, network, str(weights_path))
    model = ModelWrapper(network_to_onnx(network, weights, fold_bn, binary_mode))
    return attach_names(model.transform(InferShapes()), cfg_path)


def layer_outputs(model: ModelWrapper) -> list[dict]:
    """The per-layer records the importer stored: index, type, output tensor, cfg line."""
    text = model.get_metadata_prop(LAYERS_KEY)
    return json.loads(text) if text else []


def expose_layer_outputs(model: ModelWrapper) -> ModelWrapper:
    """A copy whose graph outputs include every Darknet layer's output tensor."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.model)
    present = {o.name for o in proto.graph.output}
    infos = {vi.name: vi for vi in proto.graph.value_info}
    for record in layer_outputs(model):
        name = record["output"]
        if name in present or name == "input":
            continue
        if name in infos:  # a tensor is either an output or an intermediate, never both
            proto.graph.output.append(infos[name])
            proto.graph.value_info.remove(infos[name])
        else:
            proto.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
        present.add(name)
    return ModelWrapper(proto)
