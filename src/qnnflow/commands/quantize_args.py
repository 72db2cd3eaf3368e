"""Checks and parsers of `qnnflow quantize`'s arguments, run before anything is loaded so a bad
value stops the command with one line and nothing written."""

from __future__ import annotations

from pathlib import Path

from qnnflow.errors import QnnflowError


def first_last_precision(value: str) -> int | None:
    """--first-last-bits: None for float, else a width 2..8 (1 bit would lose the image)."""
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


def checked_scheme(value: str | None) -> str | None:
    """`int8` or `wNaM` (N, M in 1..8), checked before anything is loaded."""
    if value is None:
        return None
    from qnnflow.quant.ptq.options import parse_scheme

    parse_scheme(value)
    return value.lower()


def output_precision(value: str) -> int | None:
    """--output-bits: None for a float output, else the requantized width 1..8."""
    if value == "float":
        return None
    if not value.isdigit() or not 1 <= int(value) <= 8:
        raise QnnflowError(f"--output-bits: expected 'float' or 1-8, got '{value}'")
    return int(value)


def resolve_model_path(model_arg: Path | None, model_opt: Path | None) -> Path:
    """MODEL or --model (not two different ones), an existing file."""
    if model_arg is not None and model_opt is not None and model_arg != model_opt:
        raise QnnflowError(f"two models given: {model_arg} and --model {model_opt}")
    model = model_arg or model_opt
    if model is None:
        raise QnnflowError("missing MODEL (a .cfg, .onnx, TorchScript .pt or .pth state dict)")
    if not model.is_file():
        raise QnnflowError(f"MODEL {model}: file not found")
    return model


def check_outputs(output: Path, qcdq: Path | None) -> None:
    """Both outputs are .onnx files, different ones, so nothing is written and then refused."""
    for path, what in ((output, "-o"), (qcdq, "--qcdq")):
        if path is not None and path.suffix.lower() != ".onnx":
            raise QnnflowError(f"{what} {path}: expected a .onnx file")
    if qcdq is not None and qcdq.resolve() == output.resolve():
        raise QnnflowError(f"--qcdq {qcdq} is the QONNX output too; give it its own name")


def check_auto_mixed(scheme, mixed_config, max_drop, accuracy_data, darknet_w1a3) -> None:
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
