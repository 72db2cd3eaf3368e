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
from qnnflow.util.execute import run_onnxruntime
from qnnflow.util.graph_exec import PreparedGraph
from qnnflow.verify.compare import difference, max_relative_error, paired_outputs
from qnnflow.verify.inputs import seeded_input, verification_inputs
from qnnflow.verify.shrink import input_size, shrunk

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


def _checked_pair(model: ModelWrapper, imported: ModelWrapper, mode: str):
    """(tidy, imported, where): at a small size in fast mode where the ops allow it."""
    if mode == "fast":
        small = shrunk([model, imported])
        if small is not None:
            (h, w), full = small[1], input_size(model)
            return *small[0], f"{h}x{w} instead of {full[0]}x{full[1]}"
        return model, imported, "full size (an op here depends on the frame size)"
    return model, imported, "full size"


def step_verify(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Verify: tidy graph == imported graph (qonnx execution), == onnxruntime where it runs
    (--verify: fast checks at a small size where the ops allow it, full at full size, off
    skips the checks and says so in verify.json and the report)."""
    assert model is not None
    exact = all(_is_integer(model, o.name) for o in model.graph.output)
    tolerance = 0.0 if exact else cfg.verify_tolerance
    checks: dict[str, str | None] = {}
    errors: dict[str, float] = {}
    imported = saved_step_path(cfg, "import")
    if imported is None:
        raise QnnflowError("verification needs the saved import step (rerun from step import)")
    standard = all(n.domain in STANDARD_DOMAINS for n in model.graph.node)
    x = seeded_input(model, cfg.seed)  # the golden for later steps, at full size
    golden = _run(PreparedGraph(model), model, x)
    cases: list = []
    where = "not checked (--verify off)"
    if cfg.verify != "off":
        tidy, reference_model, where = _checked_pair(model, ModelWrapper(str(imported)), cfg.verify)
        cases = verification_inputs(tidy, cfg.seed, cfg.verify_inputs)
        tidy_run, reference_run = PreparedGraph(tidy), PreparedGraph(reference_model)
        for case, x_case in cases:
            by_qonnx = _run(tidy_run, tidy, x_case)
            reference = _run(reference_run, reference_model, x_case)
            _compare(checks, errors, "tidy_vs_import", case, by_qonnx, reference, tolerance)
            if standard:
                by_ort = run_onnxruntime(tidy, x_case)
                _compare(checks, errors, "onnxruntime_vs_qonnx", case, by_ort, by_qonnx, tolerance)
    failed = {k: why for k, why in checks.items() if why is not None}
    out_dir = cfg.output_dir / "verify"
    atomic_save_npy(out_dir / "input.npy", x)
    for name, value in golden.items():
        atomic_save_npy(out_dir / f"output_{name}.npy", value)
    report = {
        "seed": cfg.seed,
        "mode": cfg.verify,
        "checked_at": where,
        "inputs": [case for case, _ in cases],
        "tolerance": tolerance,
        "bit_exact": exact,
        "max_relative_error": {k: v if np.isfinite(v) else str(v) for k, v in errors.items()},
        "failures": failed,
        "passed": None if cfg.verify == "off" else not failed,
    }
    atomic_write_text(out_dir / "verify.json", json.dumps(report, indent=2))
    if failed:
        check, name = next(iter(failed)).split(":", 1)
        why = failed[f"{check}:{name}"]
        raise QnnflowError(f"verification failed ({check}): output '{name}': {why}; at {where}")
    return model


def _run(prepared: PreparedGraph, model: ModelWrapper, x: np.ndarray) -> dict[str, np.ndarray]:
    """run_qonnx's result (the graph outputs by name) from a prepared graph."""
    return prepared.run({model.graph.input[0].name: x})
