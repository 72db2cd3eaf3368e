"""`qnnflow quantize` of any float model with Brevitas: load, calibrate, recover, export, report."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

from rich.console import Console


def run_ptq(model_path: Path, loader_args: dict, calib, options, recovery, output, qcdq, pre_opts):
    """Brevitas PTQ of any float model: load, calibrate, recover, export, report."""
    quiet_frameworks()
    from qnnflow.commands.progress_view import progress_bars
    from qnnflow.quant.ptq.calib_data import resolve_preprocess
    from qnnflow.quant.ptq.load import load_float_model
    from qnnflow.quant.ptq.mixed import resolve_rules
    from qnnflow.quant.ptq.pipeline import (
        CalibSource,
        load_calibration,
        quantize_ptq,
        write_outputs,
    )
    from qnnflow.quant.ptq.quantize import layer_names

    float_model = load_float_model(model_path, **loader_args)
    resolve_rules(options.rules, layer_names(float_model))
    source: CalibSource = calib
    if source.images is not None:
        pre = resolve_preprocess(float_model.input_shape, **pre_opts)
        source = dataclasses.replace(source, preprocess=pre)
    data = load_calibration(source, float_model.input_shape)
    with progress_bars():
        result = quantize_ptq(float_model, options, recovery, data, source.batch_size)
    header = {
        "model": str(model_path),
        "scheme": f"w{options.weight_bits}a{options.act_bits}",
        "options": dataclasses.asdict(options),
    }
    info = write_outputs(result, output, qcdq, header)
    drift = result.report["output_drift"]["sqnr_db"]
    written = [str(output), *([str(qcdq)] if qcdq else []), str(info)]
    Console(soft_wrap=True).print(
        f"wrote {', '.join(written)} ({len(result.report['tensors'])} quantized tensors, "
        f"{len(data)} calibration samples; output SQNR "
        f"{', '.join(f'{v:.1f}' for v in drift)} dB vs float)"
    )


def quiet_frameworks() -> None:
    """Brevitas and torch warn about their own internals (deprecated fx helpers, missing
    optional kernels, opset defaults): nothing a user can act on."""
    for module in ("brevitas", "torch", "onnxscript"):
        warnings.filterwarnings("ignore", module=module)
