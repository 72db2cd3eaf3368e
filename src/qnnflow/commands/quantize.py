"""`qnnflow quantize`: post-training quantization of a float model (Darknet, ONNX, TorchScript,
or a state dict + model definition) on calibration data, written as QONNX for the compiler,
optionally QCDQ ONNX for onnxruntime, and a quant-info JSON of every quantized tensor."""

from __future__ import annotations

from pathlib import Path

import click

from qnnflow.commands.preprocess_options import preprocess_options
from qnnflow.commands.quantize_args import (
    check_auto_mixed,
    check_outputs,
    checked_scheme,
    first_last_precision,
    output_precision,
    resolve_model_path,
)
from qnnflow.commands.quantize_darknet import (
    quantize_darknet_w1a3,
    uses_darknet_w1a3,
)
from qnnflow.commands.quantize_ptq import quiet_frameworks, run_ptq
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig


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
    model_path = resolve_model_path(model_arg, model_opt)
    scheme = checked_scheme(scheme)
    check_outputs(output, qcdq)
    darknet_w1a3 = uses_darknet_w1a3(model_path, scheme)
    if auto_mixed:
        check_auto_mixed(scheme, mixed_config, max_drop, accuracy_data, darknet_w1a3)
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
            first_last_precision(first_last_bits),
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
        output_bits=output_precision(output_bits),
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
        quiet_frameworks()
        float_model = load_float_model(model_path, **loader_args)
        run_auto_mixed(float_model, calib, options, recovery, request, output, qcdq, pre_opts)
        return
    run_ptq(model_path, loader_args, calib, options, recovery, output, qcdq, pre_opts)
