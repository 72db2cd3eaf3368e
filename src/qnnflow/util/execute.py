"""Run a QONNX model two ways: onnxruntime (fast, standard ops) and qonnx (custom ops)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.graph_exec import PreparedGraph
from qnnflow.verify.compare import max_relative_error

__all__ = ["input_shape", "max_relative_error", "run_onnxruntime", "run_qonnx"]


def input_shape(model: ModelWrapper) -> list[int]:
    return [int(d) for d in model.get_tensor_shape(model.graph.input[0].name)]


def run_onnxruntime(model: ModelWrapper, x: np.ndarray) -> dict[str, np.ndarray]:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.model.SerializeToString(), options)
    names = [o.name for o in session.get_outputs()]
    results = session.run(names, {model.graph.input[0].name: x})
    return dict(zip(names, results, strict=True))


def run_qonnx(
    model: ModelWrapper, x: np.ndarray, prepared: PreparedGraph | None = None
) -> dict[str, np.ndarray]:
    """qonnx's execute_onnx result (util.graph_exec, bit for bit); pass `prepared` (made from
    `model`) to run many inputs without preparing the graph each time."""
    out = (prepared or PreparedGraph(model)).run({model.graph.input[0].name: x})
    return {o.name: out[o.name] for o in model.graph.output}
