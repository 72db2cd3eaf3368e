"""Build step: the tidied graph computes what the imported graph computed (bit-exactly when
its outputs are integers), and onnxruntime agrees with qonnx where it can run the graph;
outputs pair by position, shapes must match and any NaN/inf fails (verify.compare); the
outputs are saved as the golden for later steps."""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, saved_step_path
from qnnflow.util.atomic import atomic_save_npy, atomic_write_text
from qnnflow.util.execute import input_shape, run_onnxruntime, run_qonnx
from qnnflow.verify.compare import difference, max_relative_error, paired_outputs

STANDARD_DOMAINS = ("", "ai.onnx")


def seeded_input(model: ModelWrapper, seed: int) -> np.ndarray:
    """Random input in the input's datatype: [0, 1) floats or integers of its range."""
    rng = np.random.default_rng(seed)
    shape = input_shape(model)
    dtype = model.get_tensor_datatype(model.graph.input[0].name)
    if dtype is None or not dtype.is_integer():
        return rng.random(shape, dtype=np.float32)
    return rng.integers(dtype.min(), dtype.max() + 1, size=shape).astype(np.float32)


def _is_integer(model: ModelWrapper, tensor: str) -> bool:
    dtype = model.get_tensor_datatype(tensor)
    return dtype is not None and dtype != DataType["FLOAT32"] and dtype.is_integer()


def _compare(
    checks: dict[str, str | None],
    errors: dict[str, float],
    label: str,
    actual: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    tolerance: float,
) -> None:
    """Record one check per output pair (by position: names may change, counts may not)."""
    for ref_name, name in paired_outputs(list(reference), list(actual), label):
        key = f"{label}:{name}"
        checks[key] = difference(actual[name], reference[ref_name], tolerance)
        errors[key] = max_relative_error(actual[name], reference[ref_name])


def step_verify(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Verify: tidy graph == imported graph (qonnx execution), == onnxruntime where it runs."""
    assert model is not None
    x = seeded_input(model, cfg.seed)
    by_qonnx = run_qonnx(model, x)
    exact = all(_is_integer(model, o.name) for o in model.graph.output)
    tolerance = 0.0 if exact else cfg.verify_tolerance
    checks: dict[str, str | None] = {}
    errors: dict[str, float] = {}
    imported = saved_step_path(cfg, "import")
    if imported is None:
        raise QnnflowError("verification needs the saved import step (rerun from step import)")
    reference = run_qonnx(ModelWrapper(str(imported)), x)
    _compare(checks, errors, "tidy_vs_import", by_qonnx, reference, tolerance)
    if all(n.domain in STANDARD_DOMAINS for n in model.graph.node):
        by_ort = run_onnxruntime(model, x)
        _compare(checks, errors, "onnxruntime_vs_qonnx", by_ort, by_qonnx, tolerance)
    failed = {k: why for k, why in checks.items() if why is not None}
    out_dir = cfg.output_dir / "verify"
    atomic_save_npy(out_dir / "input.npy", x)
    for name, value in by_qonnx.items():
        atomic_save_npy(out_dir / f"output_{name}.npy", value)
    report = {
        "seed": cfg.seed,
        "tolerance": tolerance,
        "bit_exact": exact,
        "max_relative_error": {k: v if np.isfinite(v) else str(v) for k, v in errors.items()},
        "failures": failed,
        "passed": not failed,
    }
    atomic_write_text(out_dir / "verify.json", json.dumps(report, indent=2))
    if failed:
        check, name = next(iter(failed)).split(":", 1)
        why = failed[f"{check}:{name}"]
        raise QnnflowError(f"verification failed ({check}): output '{name}': {why}")
    return model
