"""The input shape of a torch model, which a .pth or TorchScript file does not record, and
the check that the converted GraphModule computes what the model it came from computes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from qnnflow.errors import QnnflowError
from qnnflow.frontend.onnx_import.read import first_line

SIZE_HINT = "give the input size (--input-size HxW)"


def _kind(module: torch.nn.Module) -> str:
    """The torch class name, also of a TorchScript submodule (its original_name)."""
    return getattr(module, "original_name", type(module).__name__)


def first_layer(model: torch.nn.Module) -> torch.nn.Module | None:
    """The first Conv2d or Linear in definition order: what the input feeds, in practice."""
    return next((m for m in model.modules() if _kind(m) in ("Conv2d", "Linear")), None)


def _fan_in(layer: torch.nn.Module, attribute: str) -> int:
    """in_channels / in_features; a traced TorchScript layer keeps only its weight, whose
    dim 1 says the same for a Linear and an ungrouped first conv."""
    value = getattr(layer, attribute, None)
    return int(value) if value is not None else int(layer.weight.shape[1])


def input_shape(
    model: torch.nn.Module,
    input_size: tuple[int, int] | None,
    channels: int | None,
    source: Path,
) -> tuple[int, ...]:
    """(1, C, H, W) from input_size and the channels (given, or the first Conv2d's), or
    (1, F) for a model whose first layer is a Linear and no input size was given."""
    first = first_layer(model)
    if input_size is None:
        if first is not None and _kind(first) == "Linear":
            return (1, _fan_in(first, "in_features"))
        raise QnnflowError(f"{source}: the file does not record the input size; {SIZE_HINT}")
    if channels is None:
        if first is None or _kind(first) != "Conv2d":
            raise QnnflowError(
                f"{source}: cannot tell the input channels (the first layer is no Conv2d); "
                "give them (e.g. --channels gray|rgb)"
            )
        channels = _fan_in(first, "in_channels")
    return (1, channels, *input_size)


def run_once(model: Callable, shape: tuple[int, ...], source: Path) -> object:
    """The model's output on zeros; a model that cannot take this shape is one error."""
    try:
        with torch.no_grad():
            return model(torch.zeros(shape))
    except Exception as exc:  # noqa: BLE001 - any failure means the shape or the model is wrong
        raise QnnflowError(
            f"{source}: the model does not run on an input of shape {list(shape)}: "
            f"{type(exc).__name__}: {first_line(exc)} (check --input-size / channels)"
        ) from None


def as_arrays(outputs: object) -> list[np.ndarray]:
    """A module's output(s) as a flat list of numpy arrays."""
    if isinstance(outputs, torch.Tensor):
        return [outputs.detach().numpy()]
    if isinstance(outputs, (tuple, list)):
        return [a for o in outputs for a in as_arrays(o)]
    if isinstance(outputs, dict):
        return [a for o in outputs.values() for a in as_arrays(o)]
    raise TypeError(f"unexpected model output type {type(outputs).__name__}")


def check_same_outputs(
    reference: list[np.ndarray], converted: object, source: Path, tolerance: float = 1e-4
) -> None:
    """The converted module's outputs equal the reference up to float rounding (relative to
    the output's magnitude); anything else is a conversion bug, reported, never silent."""
    got = as_arrays(converted)
    if len(got) != len(reference):
        raise QnnflowError(
            f"{source}: the converted model has {len(got)} outputs, the original {len(reference)}"
        )
    for index, (want, have) in enumerate(zip(reference, got, strict=True)):
        if want.shape != have.shape:
            raise QnnflowError(
                f"{source}: output {index} of the converted model has shape {list(have.shape)}, "
                f"the original {list(want.shape)}"
            )
        scale = max(1.0, float(np.abs(want).max(initial=0.0)))
        diff = float(np.abs(want.astype(np.float64) - have).max(initial=0.0))
        if not diff <= tolerance * scale:
            raise QnnflowError(
                f"{source}: output {index} of the converted model differs from the original by "
                f"{diff:.3g} (a conversion bug: please report it with the model)"
            )
