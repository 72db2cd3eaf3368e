"""A quantized YOLOv3-tiny for graph tests: Darknet's cfg with ReLU hidden convs, random
weights, binary hidden weights, 3-bit unsigned activations (one scale shared by the inputs of
the concat route), 8-bit first conv and linear 8-bit heads. Built in the test so the graph
passes do not wait for the Darknet quantizer to learn leaky layers and shared concat scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.frontend.darknet import import_darknet, layer_outputs
from qnnflow.frontend.darknet.parse_network import load_network
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.weights import write_weights
from qnnflow.quant.qonnx_nodes import (
    insert_quant_after,
    quantize_conv_weights_int,
    quantize_weight_input,
)
from qnnflow.transforms.tidy.tidy_up import TidyUp

CFG = Path(__file__).parents[1] / "frontend" / "darknet" / "cfgs" / "yolov3-tiny.cfg"
ACT_BITS = 3


def images(n: int, size: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]


def float_yolov3_tiny(folder: Path, size: int) -> ModelWrapper:
    """The float import of yolov3-tiny at `size` px with ReLU in place of leaky."""
    cfg = folder / "yolov3-tiny-relu.cfg"
    cfg.write_text(CFG.read_text().replace("activation=leaky", "activation=relu"))
    network = load_network(cfg, (size, size))
    write_weights(folder / "relu.weights", random_weights(network, seed=0), network)
    return import_darknet(cfg, folder / "relu.weights", (size, size))


def _conv(model: ModelWrapper, index: int):
    return next(
        n
        for n in model.graph.node
        if n.op_type == "Conv" and n.name.startswith(f"l{index:03d}_conv")
    )


def quantized_yolov3_tiny(folder: Path, size: int = 64) -> ModelWrapper:
    """QONNX yolov3-tiny: the quantization the Darknet W1A3 scheme gives a two-head net."""
    model = float_yolov3_tiny(folder, size)
    records = layer_outputs(model)
    convs = [r for r in records if r["type"] == "convolutional"]
    for position, rec in enumerate(convs):
        node = _conv(model, rec["index"])
        if position == 0 or rec["activation"] == "linear":
            quantize_conv_weights_int(model, node, 8)
        else:
            w = model.get_initializer(node.input[1]).astype(np.float32)
            scale = np.abs(w).reshape(w.shape[0], -1).mean(axis=1).reshape(-1, 1, 1, 1)
            signs = np.where(w > 0, 1.0, -1.0)
            quantize_weight_input(model, node, "BipolarQuant", signs, scale.astype(np.float32))
    model = model.transform(InferShapes())
    hidden = [r for r in convs if r["activation"] != "linear"]
    peaks = dict.fromkeys((r["output"] for r in hidden), 1e-6)
    for x in images(2, size):
        context = execute_onnx(model, {"input": x}, return_full_exec_context=True)
        for tensor in peaks:
            peaks[tensor] = max(peaks[tensor], float(context[tensor].max()))
    by_index = {r["index"]: r for r in records}
    for rec in records:  # the inputs of a concat route share the largest of their scales
        if rec["type"] == "route" and len(_route_sources(model, rec)) > 1:
            joined = [_conv_feeding(by_index, s) for s in _route_sources(model, rec)]
            shared = max(peaks[t] for t in joined)
            peaks.update(dict.fromkeys(joined, shared))
    for tensor, peak in peaks.items():
        insert_quant_after(model, tensor, np.float32(peak / (2**ACT_BITS - 1)), ACT_BITS, False)
    insert_quant_after(model, "input", np.float32(1 / 255), 8, False, name="input_quant")
    return model.transform(InferShapes()).transform(TidyUp()).transform(InferDataTypes())


def _route_sources(model: ModelWrapper, rec: dict) -> list[str]:
    node = model.find_producer(rec["output"])
    return list(node.input) if node is not None and node.op_type == "Concat" else []


def _conv_feeding(by_index: dict, tensor: str) -> str:
    """The hidden conv output a route input comes from (through maxpool/upsample/route)."""
    for rec in by_index.values():
        if rec["output"] == tensor:
            if rec["type"] == "convolutional":
                return tensor
            return _conv_feeding(by_index, by_index[rec["index"] - 1]["output"])
    raise KeyError(tensor)


def hardware_yolov3_tiny(folder: Path, size: int = 64) -> ModelWrapper:
    """The quantized net streamlined and converted to hardware layers (not verified here:
    tests/transforms/streamline/test_yolov3_tiny_forks.py checks those steps)."""
    from qnnflow.transforms.streamline import Streamline
    from qnnflow.transforms.to_hw import ConvertToHW

    return quantized_yolov3_tiny(folder, size).transform(Streamline()).transform(ConvertToHW())
