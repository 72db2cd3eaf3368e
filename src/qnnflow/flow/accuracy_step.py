"""Build step: the accuracy gate. The quantized model (step quantize) may lose at most
`max_accuracy_drop` mAP@0.5 points against the float-TRAINED model (`cfg.float_reference`)
on a labelled detection dataset, or the build stops with the numbers and advice.

Without a dataset or a float reference the gate is not run, and accuracy.json, the report
and the console say so (`gate: "not run"` with the reason); it never passes by default.
"""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, build_decoder, saved_step_path
from qnnflow.flow.float_reference import check_same_input, load_float_reference
from qnnflow.quant.accuracy_gate import compare_models, enforce, score_model
from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text

ACCURACY_FILE = "accuracy.json"
REFERENCE_FILE = "float_reference.onnx"
NO_DATA = "no --accuracy-data given"
NO_REFERENCE = (
    "no float-trained reference: pass --float-reference (Darknet .weights for this cfg, "
    "a .cfg+.weights or an .onnx) or put <model>-float.weights beside the model"
)


def _not_run(cfg: BuildConfig, reason: str, quant: dict | None = None) -> None:
    record: dict = {"gate": "not run", "passed": None, "reason": reason}
    if quant is not None:
        record["quant"] = quant
    atomic_write_text(cfg.output_dir / ACCURACY_FILE, json.dumps(record, indent=2))


def _reference_onnx(cfg: BuildConfig, quant_path: Path) -> Path:
    """Import the float reference as the build imports its model; save it beside the steps."""
    assert cfg.float_reference is not None
    reference = load_float_reference(cfg.float_reference, cfg.model, cfg.input_size, cfg.fold_bn)
    check_same_input(reference, ModelWrapper(str(quant_path)), cfg.float_reference)
    path = cfg.output_dir / REFERENCE_FILE
    atomic_write_bytes(path, reference.model.SerializeToString())
    return path


def step_accuracy(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Accuracy: quantized vs float-trained mAP@0.5 on --accuracy-data (else NOT run).

    Fails when the drop exceeds --max-accuracy-drop points; without data or a float reference
    the gate is not run, and accuracy.json, the report and the console say so."""
    assert model is not None
    (cfg.output_dir / ACCURACY_FILE).unlink(missing_ok=True)
    if cfg.accuracy_data is None:
        _not_run(cfg, NO_DATA)
        return model
    quant_path = saved_step_path(cfg, "quantize")
    if quant_path is None:
        raise QnnflowError("the accuracy gate needs the saved quantize step")
    if cfg.float_reference is None:
        quant = score_model(
            quant_path,
            cfg.accuracy_data,
            max_images=cfg.accuracy_images,
            decoder=build_decoder(cfg, model),
        )
        _not_run(cfg, NO_REFERENCE, quant.to_dict())
        return model
    result = compare_models(
        _reference_onnx(cfg, quant_path),
        quant_path,
        cfg.accuracy_data,
        max_drop=cfg.max_accuracy_drop,
        max_images=cfg.accuracy_images,
        decoder=build_decoder(cfg, model),
    )
    record = {
        "gate": "passed" if result.passed else "failed",
        "float_reference": str(cfg.float_reference),
    }
    record |= result.to_dict()
    atomic_write_text(cfg.output_dir / ACCURACY_FILE, json.dumps(record, indent=2))
    enforce(result)
    return model


def gate_summary(output_dir: Path) -> str | None:
    """One line for the console and the report: passed, failed or NOT run, with numbers."""
    path = output_dir / ACCURACY_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    gate = record.get("gate")
    if gate == "not run" or gate is None:
        line = f"accuracy gate NOT run: {record.get('reason', 'unknown reason')}"
        quant = record.get("quant")
        if quant:
            line += f" (quantized mAP@0.5 {100 * quant['map50']:.2f} on {quant['images']} images)"
        return line
    ref, quant = record["float"], record["quant"]
    verdict = "<=" if gate == "passed" else ">"
    return (
        f"accuracy gate {gate}: mAP@0.5 {100 * ref['map50']:.2f} (float-trained "
        f"{record['float_reference']}) -> {100 * quant['map50']:.2f} (quantized) on "
        f"{quant['images']} images, drop {record['drop_points']:.2f} {verdict} "
        f"{record['max_drop_points']:g} points"
    )
