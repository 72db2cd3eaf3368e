"""Build step: the tidied graph computes what the imported graph computed (bit-exactly when
its outputs are integers), and onnxruntime agrees with qonnx where it can run the graph, on
every verification input (verify.inputs: --verify-inputs seeded random ones, the range edges,
the first quantizer's boundaries); outputs pair by position, shapes must match and any NaN/inf
fails (verify.compare); the outputs on the seeded random input are the golden for later
steps."""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, saved_step_path
from qnnflow.util.atomic import atomic_save_npy, atomic_write_text
from qnnflow.util.execute import run_onnxruntime, run_qonnx
from qnnflow.verify.compare import difference, max_relative_error, paired_outputs
from qnnflow.verify.inputs import seeded_input, verification_inputs

__all__ = ["seeded_input", "step_verify"]

STANDARD_DOMAINS = ("", "ai.onnx")


def _is_integer(model: ModelWrapper, tensor: str) -> bool:
    dtype = model.get_tensor_datatype(tensor)
    return dtype is not None and dtype != DataType["FLOAT32"] and dtype.is_integer()


def _compare(
    checks: dict[str, str | None],
    errors: dict[str, float],
    label: str,
    case: str,
    actual: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    tolerance: float,
) -> None:
    """Record one check per output pair (by position: names may change, counts may not): the
    first failure over the inputs and the largest error."""
    for ref_name, name in paired_outputs(list(reference), list(actual), label):
        key = f"{label}:{name}"
        why = difference(actual[name], reference[ref_name], tolerance)
        if checks.get(key) is None:
            checks[key] = None if why is None else f"{why} (on {case})"
        errors[key] = max(
            errors.get(key, 0.0), max_relative_error(actual[name], reference[ref_name])
        )


def step_verify(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Verify: tidy graph == imported graph (qonnx execution), == onnxruntime where it runs."""
    assert model is not None
    exact = all(_is_integer(model, o.name) for o in model.graph.output)
    tolerance = 0.0 if exact else cfg.verify_tolerance
    checks: dict[str, str | None] = {}
    errors: dict[str, float] = {}
    imported = saved_step_path(cfg, "import")
    if imported is None:
        raise QnnflowError("verification needs the saved import step (rerun from step import)")
    imported_model = ModelWrapper(str(imported))
    standard = all(n.domain in STANDARD_DOMAINS for n in model.graph.node)
    cases = verification_inputs(model, cfg.seed, cfg.verify_inputs)
    golden = None
    for case, x in cases:
        by_qonnx = run_qonnx(model, x)
        if golden is None:  # the seeded random input: later steps' golden
            golden = (x, by_qonnx)
        reference = run_qonnx(imported_model, x)
        _compare(checks, errors, "tidy_vs_import", case, by_qonnx, reference, tolerance)
        if standard:
            by_ort = run_onnxruntime(model, x)
            _compare(checks, errors, "onnxruntime_vs_qonnx", case, by_ort, by_qonnx, tolerance)
    failed = {k: why for k, why in checks.items() if why is not None}
    out_dir = cfg.output_dir / "verify"
    x, by_qonnx = golden
    atomic_save_npy(out_dir / "input.npy", x)
    for name, value in by_qonnx.items():
        atomic_save_npy(out_dir / f"output_{name}.npy", value)
    report = {
        "seed": cfg.seed,
        "inputs": [case for case, _ in cases],
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
