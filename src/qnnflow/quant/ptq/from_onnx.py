"""A float ONNX graph (a file, or what the TorchScript and Darknet loaders made) -> a checked
GraphModule: refused when already quantized, compared with onnxruntime once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.fold_constants import FoldConstants

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.onnx_to_fx import onnx_to_graph_module
from qnnflow.quant.ptq.torch_input import check_same_outputs

QUANTIZED_OPS = (
    "Quant",
    "BipolarQuant",
    "Trunc",
    "QuantizeLinear",
    "DequantizeLinear",
    "QLinearConv",
    "QLinearMatMul",
    "MultiThreshold",
)

COMPILED_DOMAIN = "qnnflow"  # the compiler's own ops: a streamlined or hardware graph


def _refuse_quantized(model: ModelWrapper, path: Path) -> None:
    found = next(
        (
            n
            for n in model.graph.node
            if n.op_type in QUANTIZED_OPS or n.domain.startswith(COMPILED_DOMAIN)
        ),
        None,
    )
    if found is not None:
        kind = " hardware op" if found.domain.startswith(COMPILED_DOMAIN) else ""
        raise QnnflowError(
            f"{path}: nothing to quantize (already quantized: node '{found.name}' is a "
            f"{found.op_type}{kind}): PTQ takes a "
            "float model; give a quantized model to the compiler (qnnflow build) directly"
        )


def _onnxruntime_outputs(model: ModelWrapper, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(model.model.SerializeToString(), options)
    return session.run(None, {model.graph.input[0].name: x})


def graph_module_from_onnx(
    model: ModelWrapper, path: Path, seed: int = 0
) -> tuple[torch.fx.GraphModule, tuple[int, ...], dict[str, str]]:
    """(module, input shape with batch 1, the graph's metadata_props) of a shape-inferred
    float model; the module's output on one random input equals onnxruntime's."""
    _refuse_quantized(model, path)
    model = model.transform(FoldConstants())  # e.g. torch's Identity copies of shared weights
    module = onnx_to_graph_module(model, path, class_name="OnnxFloatModel")
    shape = tuple(int(d) for d in model.get_tensor_shape(model.graph.input[0].name))
    if len(shape) < 2 or shape[0] != 1:
        raise QnnflowError(
            f"{path}: the input has shape {list(shape)}; PTQ needs a batch axis first of size 1 "
            "or dynamic (export the model with batch 1 or a dynamic batch)"
        )
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        converted = module(torch.from_numpy(x))
    check_same_outputs(_onnxruntime_outputs(model, x), converted, path)
    metadata = {p.key: p.value for p in model.model.metadata_props}
    metadata.update({p.key: p.value for p in model.graph.metadata_props})
    return module, shape, metadata
