"""Run a classifier file on batches: a float or QCDQ ONNX with onnxruntime, a QONNX (custom
Quant / BipolarQuant / Trunc nodes) with qonnx's executor.

Exports usually fix the batch at 1. Running image by image through qonnx costs a node-by-node
walk per image (about 0.2 s for FINN's CNV), so the batch axis is rewritten to the chunk size
with qonnx's ChangeBatchSize (which also edits constant Reshape shapes) and trusted only after
the rewritten model reproduces the single-image outputs on the first images; a model whose
rewrite fails or disagrees runs image by image, with a warning.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.change_batchsize import ChangeBatchSize
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.verify.compare import max_relative_error

log = logging.getLogger(__name__)

STANDARD_DOMAINS = ("", "ai.onnx")
BATCH_CHECK_TOLERANCE = 1e-3  # a wrong batch rewrite scrambles samples: errors of order 1
CHECK_IMAGES = 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_onnx(path: str | Path) -> ModelWrapper:
    """The model at `path`, one line naming the file when it is missing or not ONNX."""
    file = Path(path)
    if not file.is_file():
        raise QnnflowError(f"model not found: {file}")
    try:
        return ModelWrapper(str(file))
    except Exception as exc:  # noqa: BLE001 - onnx raises DecodeError, ValueError, OSError...
        raise QnnflowError(f"{file}: not a readable ONNX model ({_first_line(exc)})") from None


def _graph_input(model: ModelWrapper, file: Path) -> str:
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise QnnflowError(f"{file}: a classifier takes one input, this model takes {inputs}")
    return inputs[0]


def _with_batch(model: ModelWrapper, batch: int, custom: bool) -> ModelWrapper:
    """A copy whose input, outputs and constant Reshape shapes carry batch `batch`."""
    changed = ModelWrapper(copy.deepcopy(model.model)).transform(ChangeBatchSize(batch))
    for output in changed.graph.output:
        dims = output.type.tensor_type.shape.dim
        if dims:
            dims[0].dim_value = batch
    return changed.transform(InferShapes()) if custom else changed


class _Executor:
    """One fixed-batch model with its onnxruntime session (or qonnx) ready."""

    def __init__(self, model: ModelWrapper, input_name: str, custom: bool):
        self.model, self.input_name, self.custom = model, input_name, custom
        self.output = model.graph.output[0].name
        self.session = None
        if not custom:
            options = ort.SessionOptions()
            options.log_severity_level = 3
            self.session = ort.InferenceSession(model.model.SerializeToString(), options)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.session is not None:
            return self.session.run([self.output], {self.input_name: x})[0]
        return execute_onnx(self.model, {self.input_name: x})[self.output]


class ClassifierRunner:
    """Callable (N, *input) float32 -> first output as (N, classes), any N."""

    def __init__(self, path: str | Path, batch_size: int = 64):
        if batch_size < 1:
            raise QnnflowError(f"the batch size must be at least 1, got {batch_size}")
        self.path = Path(path)
        model = load_onnx(self.path)
        self.custom = any(n.domain not in STANDARD_DOMAINS for n in model.graph.node)
        if self.custom:
            from qonnx.util.cleanup import cleanup_model

            model = cleanup_model(model)  # shapes for every tensor, as qonnx's executor needs
        self.input_name = _graph_input(model, self.path)
        shape = model.get_tensor_shape(self.input_name)
        if not shape or any(not d for d in shape[1:]):
            raise QnnflowError(f"{self.path}: input '{self.input_name}' has no fixed shape")
        self.input_shape = (1, *(int(d) for d in shape[1:]))
        self._declared_batch = int(shape[0])
        self.batch_size = batch_size
        self.executor_name = "qonnx" if self.custom else "onnxruntime"
        self._model = model
        self._executors: dict[int, _Executor | None] = {}
        self.batched = batch_size > 1  # until a rewrite fails its check

    def _executor(self, batch: int) -> _Executor | None:
        if batch not in self._executors:
            try:
                keep = batch == 1 and self._declared_batch in (0, 1)  # 0: a symbolic batch
                model = self._model if keep else _with_batch(self._model, batch, self.custom)
                self._executors[batch] = _Executor(model, self.input_name, self.custom)
            except Exception as exc:  # noqa: BLE001 - any failure: fall back to batch 1
                if batch == 1:
                    raise QnnflowError(
                        f"{self.path}: cannot run the model ({_first_line(exc)})"
                    ) from exc
                log.warning("%s: batch %d rewrite failed (%s)", self.path, batch, _first_line(exc))
                self._executors[batch] = None
        return self._executors[batch]

    def _one_by_one(self, x: np.ndarray) -> np.ndarray:
        single = self._executor(1)
        try:
            rows = [np.asarray(single(x[i : i + 1])).reshape(1, -1) for i in range(len(x))]
        except Exception as exc:  # noqa: BLE001 - onnxruntime and qonnx raise many kinds
            raise QnnflowError(
                f"{self.path}: running the model failed ({_first_line(exc)})"
            ) from exc
        return np.concatenate(rows)

    def _batch_agrees(self, x: np.ndarray, batched: np.ndarray) -> bool:
        count = min(CHECK_IMAGES, len(x))
        single = self._one_by_one(x[:count])
        finite = np.abs(single[np.isfinite(single)])
        scale = max(float(finite.max(initial=0.0)), 1e-6)
        same = batched[:count].shape == single.shape and np.allclose(
            batched[:count], single, rtol=0, atol=BATCH_CHECK_TOLERANCE * scale, equal_nan=True
        )
        if not same:
            error = max_relative_error(batched[:count], single)
            log.warning(
                "%s: the batch-%d rewrite disagrees with batch 1 (relative error %.3g): "
                "running image by image",
                self.path,
                len(x),
                error,
            )
            return False
        return True

    def _run_chunk(self, x: np.ndarray) -> np.ndarray:
        if not self.batched or len(x) == 1:
            return self._one_by_one(x)
        checked = len(x) in self._executors
        executor = self._executor(len(x))
        if executor is None:
            return self._one_by_one(x)
        if checked:
            return np.asarray(executor(x)).reshape(len(x), -1)
        try:
            out = np.asarray(executor(x)).reshape(len(x), -1)
        except Exception as exc:  # noqa: BLE001 - a bad rewrite may fail anywhere in the run
            log.warning("%s: the batch-%d rewrite fails (%s)", self.path, len(x), _first_line(exc))
            out = None
        if out is None or not self._batch_agrees(x, out):
            self.batched = False
            return self._one_by_one(x)
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if tuple(x.shape[1:]) != self.input_shape[1:]:
            raise QnnflowError(
                f"{self.path}: inputs of shape {list(x.shape[1:])}, the model takes "
                f"{list(self.input_shape[1:])}"
            )
        chunks = [
            self._run_chunk(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)
        ]
        return np.concatenate(chunks) if chunks else np.empty((0, 0), dtype=np.float32)
