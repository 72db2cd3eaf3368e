"""`qnnflow quantize`: post-training quantization of a float model (Darknet, ONNX, TorchScript,
or a state dict + model definition) on calibration data, written as QONNX for the compiler,
optionally QCDQ ONNX for onnxruntime, and a quant-info JSON of every quantized tensor."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.preprocess_options import preprocess_options
from qnnflow.commands.quantize_darknet import (
    quantize_darknet_w1a3,
    uses_darknet_w1a3,
)
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig


def _first_last(value: str) -> int | None:
    if value == "float":
        return None
    try:
        bits = int(value)
    except ValueError:
        raise QnnflowError(
            f"--first-last-bits: expected a bit width (2-8) or 'float', got '{value}'"
        ) from None
    if not 2 <= bits <= 8:
        raise QnnflowError(f"--first-last-bits: bit width must be 2..8, got {bits}")
    return bits


def _scheme(value: str | None) -> str | None:
    """`int8` or `wNaM` (N, M in 1..8), checked before anything is loaded."""
    if value is None:
        return None
    from qnnflow.quant.ptq.options import parse_scheme

    parse_scheme(value)
    return value.lower()


def _output_bits(value: str) -> int | None:
    if value == "float":
        return None
    if not value.isdigit() or not 1 <= int(value) <= 8:
        raise QnnflowError(f"--output-bits: expected 'float' or 1-8, got '{value}'")
    return int(value)


def _model_path(model_arg: Path | None, model_opt: Path | None) -> Path:
    if model_arg is not None and model_opt is not None and model_arg != model_opt:
        raise QnnflowError(f"two models given: {model_arg} and --model {model_opt}")
    model = model_arg or model_opt
    if model is None:
        raise QnnflowError("missing MODEL (a .cfg, .onnx, TorchScript .pt or .pth state dict)")
    if not model.is_file():
        raise QnnflowError(f"MODEL {model}: file not found")
    return model


def _check_outputs(output: Path, qcdq: Path | None) -> None:
    """Both outputs are .onnx files, different ones, so nothing is written and then refused."""
    for path, what in ((output, "-o"), (qcdq, "--qcdq")):
        if path is not None and path.suffix.lower() != ".onnx":
            raise QnnflowError(f"{what} {path}: expected a .onnx file")
    if qcdq is not None and qcdq.resolve() == output.resolve():
        raise QnnflowError(f"--qcdq {qcdq} is the QONNX output too; give it its own name")


def _ptq(model_path: Path, loader_args: dict, calib, options, recovery, output, qcdq, pre_opts):
    """Brevitas PTQ of any float model: load, calibrate, recover, export, report."""
    _quiet_frameworks()
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


@click.command("quantize")
@click.argument("model_arg", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model_opt",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Same as MODEL: a Darknet .cfg (weights beside it or --weights), a float .onnx, a "
    "TorchScript .pt/.ts, or a .pth state dict with --model-def.",
)
@click.option("--weights", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model-def",
    metavar="PKG.MODULE:CLASS",
    help="The nn.Module class a .pth state dict belongs to (or path/to/model.py:Class).",
)
@click.option(
    "--scheme",
    metavar="int8|wNaM",
    help="int8 (= w8a8), w4a4, w2a2, w1a3, w1a1, ... (weight/activation bits 1-8). Default: "
    "w1a3 (Darknet's binary quantizer) for a cfg with binary=1 convs, else int8.",
)
@click.option(
    "--mixed",
    "mixed_config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML: per layer name or glob, weight_bits/act_bits or 'float' (stays float).",
)
@click.option(
    "--weight-granularity",
    type=click.Choice(["tensor", "channel"]),
    default="channel",
    show_default=True,
)
@click.option(
    "--scale",
    type=click.Choice(["float", "po2"]),
    default="float",
    show_default=True,
    help="po2: power-of-two scales (fixed point).",
)
@click.option(
    "--act",
    "act_sign",
    type=click.Choice(["auto", "signed", "unsigned"]),
    default="auto",
    show_default=True,
    help="auto: unsigned after ReLU, else signed.",
)
@click.option(
    "--act-symmetric/--act-asymmetric",
    default=True,
    show_default=True,
    help="Asymmetric: unsigned codes with a zero point.",
)
@click.option(
    "--bias-bits", type=click.Choice(["16", "32", "float"]), default="32", show_default=True
)
@click.option(
    "--output-bits",
    default="float",
    show_default=True,
    help="The network output: 'float' (the last layer's accumulator, scaled on the host, as "
    "FINN's last layers do) or a bit width 1-8 (requantized).",
)
@click.option(
    "--calib-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of calibration images (searched recursively, sorted).",
)
@click.option(
    "--calib-data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Preprocessed calibration inputs: a float32 N x C x H x W .npy.",
)
@click.option(
    "--calib-method",
    type=click.Choice(["minmax", "percentile", "entropy", "mse"]),
    default=None,
    help="Activation statistic. Default: minmax (PTQ), the build's for Darknet W1A3.",
)
@click.option("--percentile", type=float, default=None, help="For --calib-method percentile.")
@click.option("--max-samples", type=int, default=None, help="Calibration samples (default 50).")
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--bias-correction", is_flag=True, help="Brevitas bias correction.")
@click.option(
    "--equalize",
    type=click.Choice(["graph", "activation"]),
    help="Cross-layer (graph) or activation (SmoothQuant-style) equalization.",
)
@click.option("--gptq", is_flag=True, help="GPTQ weight rounding (Brevitas).")
@click.option("--gpfq", is_flag=True, help="GPFQ weight rounding (Brevitas).")
@click.option("--learned-round", is_flag=True, help="AdaRound-style learned rounding.")
@click.option(
    "--fast-finetune",
    is_flag=True,
    help="AdaQuant-style layer-wise finetuning on the calibration set (Vitis AI).",
)
@click.option(
    "--iterations",
    type=int,
    default=200,
    show_default=True,
    help="Steps per layer for --learned-round and --fast-finetune.",
)
@click.option(
    "--qcdq",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write QuantizeLinear/DequantizeLinear ONNX (runs in onnxruntime).",
)
@click.option(
    "--first-last-bits",
    default="8",
    show_default=True,
    help="Darknet W1A3 only: precision of the first and last conv, a bit width or 'float'.",
)
@click.option(
    "--auto-mixed",
    is_flag=True,
    help="Choose per-layer bits (weights and activation together) so the compiled model fits "
    "--board at the smallest top-1 cost on --accuracy-data; writes OUT.mixed.yaml too.",
)
@click.option(
    "--board",
    default="pynq_z2",
    show_default=True,
    help="--auto-mixed: the board (name under boards/ or a board.yaml).",
)
@click.option(
    "--max-drop",
    type=float,
    help="--auto-mixed: largest allowed top-1 drop in points; over it: exit 2, nothing written.",
)
@click.option(
    "--accuracy-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="--auto-mixed: labelled images DIR/<class>/*.png (or DIR/<split>/<class>/).",
)
@click.option("--accuracy-split", help="--auto-mixed: score DIR/<split>/ (default: DIR).")
@click.option("--accuracy-images", type=int, help="--auto-mixed: score only N images.")
@click.option(
    "--auto-bits",
    default="8,4,2",
    show_default=True,
    help="--auto-mixed: the candidate widths, highest first.",
)
@click.option(
    "--resource-budget",
    type=float,
    default=1.0,
    show_default=True,
    help="--auto-mixed: fraction of the fold step's resource caps the model may use.",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@preprocess_options
def quantize_cmd(
    model_arg,
    model_opt,
    weights,
    model_def,
    scheme,
    mixed_config,
    weight_granularity,
    scale,
    act_sign,
    act_symmetric,
    bias_bits,
    output_bits,
    calib_dir,
    calib_data,
    calib_method,
    percentile,
    max_samples,
    batch_size,
    bias_correction,
    equalize,
    gptq,
    gpfq,
    learned_round,
    fast_finetune,
    iterations,
    qcdq,
    first_last_bits,
    auto_mixed,
    board,
    max_drop,
    accuracy_data,
    accuracy_split,
    accuracy_images,
    auto_bits,
    resource_budget,
    output,
    **pre_opts,
) -> None:
    """Quantize a float model after training and write QONNX for the compiler (OUT.onnx), its
    quant-info JSON (every quantized tensor: bits, sign, scale, zero point, statistic,
    clipped fraction) and optionally QCDQ ONNX. A Darknet cfg takes the build's W1A3 quantizer
    with --scheme w1a3 (the default for one with binary=1 convs); everything else is quantized with
    Brevitas (calibration, bias correction, equalization, GPTQ/GPFQ, learned rounding)."""
    model_path = _model_path(model_arg, model_opt)
    scheme = _scheme(scheme)
    _check_outputs(output, qcdq)
    darknet_w1a3 = uses_darknet_w1a3(model_path, scheme)
    if auto_mixed:
        _check_auto_mixed(scheme, mixed_config, max_drop, accuracy_data, darknet_w1a3)
    if darknet_w1a3:
        if calib_dir is None:
            raise QnnflowError("the Darknet W1A3 quantizer needs --calib-dir IMAGES/")
        if qcdq is not None:
            raise QnnflowError("--qcdq: the Darknet W1A3 quantizer writes QONNX only")
        quantize_darknet_w1a3(
            model_path,
            weights,
            calib_dir,
            calib_method or BuildConfig.calib_method,
            BuildConfig.calib_percentile if percentile is None else percentile,
            BuildConfig.calib_samples if max_samples is None else max_samples,
            _first_last(first_last_bits),
            pre_opts.get("input_size"),
            output,
        )
        return
    from qnnflow.quant.ptq.pipeline import check_one_source
    from qnnflow.quant.ptq.preprocess import with_recorded_preprocess

    check_one_source(calib_dir, calib_data)

    pre_opts = with_recorded_preprocess(model_path, pre_opts)
    from qnnflow.quant.ptq.mixed import load_mixed_config
    from qnnflow.quant.ptq.options import PTQOptions, parse_scheme
    from qnnflow.quant.ptq.pipeline import CalibSource, Recovery

    weight_bits, act_bits = parse_scheme(scheme or "int8")
    options = PTQOptions(
        weight_bits=weight_bits,
        act_bits=act_bits,
        weight_granularity=weight_granularity,
        scale=scale,
        act_sign=act_sign,
        act_symmetric=act_symmetric,
        bias_bits=None if bias_bits == "float" else int(bias_bits),
        output_bits=_output_bits(output_bits),
        calib_method=calib_method or "minmax",
        percentile=99.99 if percentile is None else percentile,
        rules=load_mixed_config(mixed_config) if mixed_config else (),
    )
    recovery = Recovery(
        equalize=equalize,
        bias_correction=bias_correction,
        gptq=gptq,
        gpfq=gpfq,
        learned_round=learned_round,
        fast_finetune=fast_finetune,
        iterations=iterations,
    )
    calib = CalibSource(
        images=calib_dir,
        npy=calib_data,
        max_samples=50 if max_samples is None else max_samples,
        batch_size=batch_size,
    )
    channels = pre_opts.get("channels")
    loader_args = {
        "weights": weights,
        "model_def": model_def,
        "input_size": pre_opts.get("input_size"),
        "channels": None if channels is None else (1 if channels == "gray" else 3),
    }
    if auto_mixed:
        from qnnflow.commands.auto_mixed_run import (
            AutoMixedRequest,
            parse_auto_bits,
            run_auto_mixed,
        )
        from qnnflow.quant.ptq.load import load_float_model

        request = AutoMixedRequest(
            board,
            max_drop,
            accuracy_data,
            accuracy_split,
            accuracy_images,
            parse_auto_bits(auto_bits),
            resource_budget,
        )
        _quiet_frameworks()
        float_model = load_float_model(model_path, **loader_args)
        run_auto_mixed(float_model, calib, options, recovery, request, output, qcdq, pre_opts)
        return
    _ptq(model_path, loader_args, calib, options, recovery, output, qcdq, pre_opts)


def _check_auto_mixed(scheme, mixed_config, max_drop, accuracy_data, darknet_w1a3) -> None:
    """--auto-mixed chooses every layer's bits: it needs the gate and data, not a scheme."""
    if darknet_w1a3:
        raise QnnflowError("--auto-mixed applies to Brevitas PTQ, not the Darknet W1A3 path")
    if scheme is not None or mixed_config is not None:
        given = "--scheme" if scheme is not None else "--mixed"
        raise QnnflowError(f"{given}: --auto-mixed chooses every layer's bits itself")
    missing = [
        name
        for name, value in (("--max-drop", max_drop), ("--accuracy-data", accuracy_data))
        if value is None
    ]
    if missing:
        raise QnnflowError(f"--auto-mixed needs {' and '.join(missing)}")


def _quiet_frameworks() -> None:
    """Brevitas and torch warn about their own internals (deprecated fx helpers, missing
    optional kernels, opset defaults): nothing a user can act on."""
    for module in ("brevitas", "torch", "onnxscript"):
        warnings.filterwarnings("ignore", module=module)
