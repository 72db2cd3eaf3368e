"""Build step: the tidied graph computes what the imported graph computed (bit-exactly when
its outputs are integers), and onnxruntime agrees with qonnx where it can run the graph;
the outputs are saved as the golden for later steps."""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, saved_step_path
from qnnflow.util.atomic import atomic_save_npy, atomic_write_text
from qnnflow.util.execute import input_shape, max_relative_error, run_onnxruntime, run_qonnx

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


def step_verify(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Verify: tidy graph == imported graph (qonnx execution), == onnxruntime where it runs."""
    assert model is not None
    x = seeded_input(model, cfg.seed)
    by_qonnx = run_qonnx(model, x)
    checks = {}
    if all(n.domain in STANDARD_DOMAINS for n in model.graph.node):
        for name, value in run_onnxruntime(model, x).items():
            checks[f"onnxruntime_vs_qonnx:{name}"] = max_relative_error(value, by_qonnx[name])
    imported = saved_step_path(cfg, "import")
    if imported is not None:
        for name, ref in run_qonnx(ModelWrapper(str(imported)), x).items():
            if name in by_qonnx:
                checks[f"tidy_vs_import:{name}"] = max_relative_error(by_qonnx[name], ref)
    exact = all(_is_integer(model, o.name) for o in model.graph.output)
    tolerance = 0.0 if exact else cfg.verify_tolerance
    failed = {k: v for k, v in checks.items() if v > tolerance}
    out_dir = cfg.output_dir / "verify"
    atomic_save_npy(out_dir / "input.npy", x)
    for name, value in by_qonnx.items():
        atomic_save_npy(out_dir / f"output_{name}.npy", value)
    report = {
        "seed": cfg.seed,
        "tolerance": tolerance,
        "bit_exact": exact,
        "max_relative_error": checks,
        "passed": not failed,
    }
    atomic_write_text(out_dir / "verify.json", json.dumps(report, indent=2))
    if failed:
        worst = max(failed, key=failed.get)
        raise QnnflowError(
            f"verification failed: {worst} has relative error {failed[worst]:.3g} > {tolerance}"
        )
    return model
