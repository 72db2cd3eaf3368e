"""Build step: the float graph gives the same outputs under onnxruntime and qonnx, and the
same as the freshly imported graph; its outputs become the golden for later steps."""

from __future__ import annotations

import json

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.build.config import BuildConfig, saved_step_path
from qnnflow.errors import QnnflowError
from qnnflow.util.atomic import atomic_save_npy, atomic_write_text
from qnnflow.util.execute import input_shape, max_relative_error, run_onnxruntime, run_qonnx


def step_verify_float(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Verify the float graph: onnxruntime == qonnx == imported graph on a seeded input."""
    assert model is not None
    rng = np.random.default_rng(cfg.seed)
    x = rng.random(input_shape(model), dtype=np.float32)
    by_ort = run_onnxruntime(model, x)
    by_qonnx = run_qonnx(model, x)
    checks = {}
    for name, ref in by_ort.items():
        checks[f"qonnx_vs_onnxruntime:{name}"] = max_relative_error(by_qonnx[name], ref)
    imported = saved_step_path(cfg, "import")
    if imported is not None:
        by_import = run_onnxruntime(ModelWrapper(str(imported)), x)
        for name, ref in by_import.items():
            if name in by_ort:
                checks[f"tidy_vs_import:{name}"] = max_relative_error(by_ort[name], ref)
    failed = {k: v for k, v in checks.items() if v > cfg.verify_tolerance}
    out_dir = cfg.output_dir / "verify"
    atomic_save_npy(out_dir / "float_input.npy", x)
    for name, value in by_ort.items():
        atomic_save_npy(out_dir / f"float_output_{name}.npy", value)
    report = {
        "seed": cfg.seed,
        "tolerance": cfg.verify_tolerance,
        "max_relative_error": checks,
        "passed": not failed,
    }
    atomic_write_text(out_dir / "float.json", json.dumps(report, indent=2))
    if failed:
        worst = max(failed, key=failed.get)
        raise QnnflowError(
            f"float verification failed: {worst} has relative error {failed[worst]:.3g} "
            f"> {cfg.verify_tolerance}"
        )
    return model
