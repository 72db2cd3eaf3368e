"""Build step: the accuracy gate. The quantized model (step quantize) may lose at most
`max_accuracy_drop` mAP@0.5 points against the float model (step tidy) on a labelled
detection dataset, or the build stops with advice; accuracy.json keeps both scores."""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, build_decoder, saved_step_path
from qnnflow.quant.accuracy_gate import compare_models, enforce
from qnnflow.util.atomic import atomic_write_text


def step_accuracy(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Accuracy: mAP@0.5 of the float and the quantized model on --accuracy-data (skipped
    without it); fails when the drop exceeds --max-accuracy-drop points."""
    assert model is not None
    out = cfg.output_dir / "accuracy.json"
    if cfg.accuracy_data is None:
        atomic_write_text(out, json.dumps({"skipped": "no --accuracy-data given"}, indent=2))
        return model
    float_path, quant_path = saved_step_path(cfg, "tidy"), saved_step_path(cfg, "quantize")
    if float_path is None or quant_path is None:
        raise QnnflowError("the accuracy gate needs the saved tidy and quantize steps")
    result = compare_models(
        float_path,
        quant_path,
        cfg.accuracy_data,
        max_drop=cfg.max_accuracy_drop,
        max_images=cfg.accuracy_images,
        decoder=build_decoder(cfg, model),
    )
    atomic_write_text(out, json.dumps(result.to_dict(), indent=2))
    enforce(result)
    return model
