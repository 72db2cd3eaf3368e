"""ONNX/QONNX importer: every check a malformed or unsupported file can fail runs here, at
import, so later steps never meet a parser, shape or runtime error (see `load_onnx`)."""

from __future__ import annotations

import re
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import.read import (
    STANDARD_DOMAINS,
    check_structure,
    first_line,
    read_model_proto,
)
from qnnflow.frontend.onnx_import.shapes import fix_input_shape, infer_all_shapes
from qnnflow.frontend.onnx_import.training_mode import check_inference_mode
from qnnflow.frontend.onnx_import.values import check_batchnorm_variance, check_finite

__all__ = ["load_onnx", "open_onnx"]

_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : (/\S+ )?")


def _check_runtime_loads(model: ModelWrapper, path: Path) -> None:
    """onnxruntime (which verify uses) must load a graph of standard ops and run it once on
    zeros (the graph's inner shapes are consistent)."""
    if any(n.domain not in STANDARD_DOMAINS for n in model.graph.node):
        return  # custom ops: qonnx executes them node by node
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # the reason goes into the one error line, not the log
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # our names
    run_options = ort.RunOptions()
    run_options.log_severity_level = 4
    name = model.graph.input[0].name
    zeros = np.zeros(model.get_tensor_shape(name), np.float32)
    try:
        session = ort.InferenceSession(model.model.SerializeToString(), options)
        session.run(None, {name: zeros}, run_options)
    except Exception as exc:  # noqa: BLE001 - any refusal by the runtime is about this file
        reason = _ORT_PREFIX.sub("", first_line(exc))
        raise OnnxError(f"onnxruntime cannot run the model: {reason}", path) from None


def open_onnx(path: str | Path) -> ModelWrapper:
    """A model qnnflow saved (a folded hardware graph): read and structure-checked only."""
    path = Path(path)
    proto = read_model_proto(path)
    check_structure(proto, path)
    return ModelWrapper(proto)


def load_onnx(path: str | Path, input_size: tuple[int, int] | None = None) -> ModelWrapper:
    """An .onnx file as a ModelWrapper with concrete shapes on every tensor.

    Refused with one OnnxError naming the file and the node/tensor: empty, truncated or
    non-ONNX files; no nodes or not exactly one input; an ai.onnx opset outside what onnx
    and onnxruntime support; unknown ops; NaN/Inf constants; negative BatchNormalization
    variances; a graph exported in training mode; dynamic dims other than the batch (unless
    `input_size` fixes H and W); a tensor whose shape depends on run-time values."""
    path = Path(path)
    proto = read_model_proto(path)
    check_structure(proto, path)
    check_finite(proto, path)
    check_batchnorm_variance(proto, path)
    check_inference_mode(proto, path)
    initializers = {t.name for t in proto.graph.initializer}
    static_inputs = [i for i in proto.graph.input if i.name in initializers]
    for vi in static_inputs:  # old exporters list initializers as inputs too
        proto.graph.input.remove(vi)
    fix_input_shape(proto, input_size, path)
    model = infer_all_shapes(proto, path)
    _check_runtime_loads(model, path)
    return model
