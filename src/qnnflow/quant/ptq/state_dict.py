"""A .pth/.pt state dict + its model class (`--model-def`) -> FloatModel, traced by torch.fx.

A full pickled nn.Module (`torch.save(model)`) is loaded too, but only with `--model-def`:
unpickling it runs code (torch.load(weights_only=False)), and naming the model's class is the
user's statement that they trust it; the unpickled object must be an instance of that class
and is used as it is (no constructor call). Without `--model-def` nothing is unpickled."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from qnnflow.errors import QnnflowError
from qnnflow.frontend.onnx_import.read import first_line
from qnnflow.quant.ptq.float_model import FloatModel
from qnnflow.quant.ptq.model_def import instantiate, model_class
from qnnflow.quant.ptq.torch_input import as_arrays, check_same_outputs, input_shape, run_once

CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model", "net")  # training-script habits
SHOWN = 3


def _is_state_dict(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and bool(obj)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def _read(path: Path, trusted_class: type, model_def: str) -> object:
    """The tensors (weights_only), or the pickled module when the file holds one."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        pass  # not plain tensors: a pickled object, loaded only as the trusted class
    except Exception as exc:  # noqa: BLE001 - zip/pickle/format errors all mean a bad file
        raise QnnflowError(
            f"{path}: not a readable torch file: {type(exc).__name__}: {first_line(exc)}"
        ) from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001
        raise QnnflowError(
            f"{path}: cannot unpickle: {type(exc).__name__}: {first_line(exc)}"
        ) from None
    if isinstance(obj, torch.nn.Module) and not isinstance(obj, trusted_class):
        raise QnnflowError(
            f"{path}: holds a pickled {type(obj).__name__}, not the --model-def {model_def}"
        )
    return obj


def _unwrap(obj: object, path: Path) -> dict[str, torch.Tensor]:
    """The state dict inside a checkpoint dict; DataParallel's 'module.' prefix dropped."""
    if isinstance(obj, dict) and not _is_state_dict(obj):
        obj = next((obj[k] for k in CHECKPOINT_KEYS if _is_state_dict(obj.get(k))), obj)
    if not _is_state_dict(obj):
        raise QnnflowError(
            f"{path}: holds a {type(obj).__name__}, not a state dict of tensors (nor a checkpoint "
            f"with one under {', '.join(CHECKPOINT_KEYS)})"
        )
    if all(k.startswith("module.") for k in obj):
        obj = {k.removeprefix("module."): v for k, v in obj.items()}
    return obj


def _check_matches(model: torch.nn.Module, state: dict, path: Path, model_def: str) -> None:
    """Strict loading, said in one line: the first few missing, unexpected and misshaped keys."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshaped = [
        f"{k} {list(state[k].shape)} vs {list(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", misshaped)):
        if keys:
            more = f" (+{len(keys) - SHOWN} more)" if len(keys) > SHOWN else ""
            problems.append(f"{label} {len(keys)}: {', '.join(keys[:SHOWN])}{more}")
    if problems:
        raise QnnflowError(
            f"{path}: the state dict does not match {model_def}: " + "; ".join(problems)
        )


def _trace(model: torch.nn.Module, path: Path, model_def: str) -> torch.fx.GraphModule:
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - any tracer failure is this model's property
        raise QnnflowError(
            f"{path}: {model_def} cannot be traced by torch.fx: {type(exc).__name__}: "
            f"{first_line(exc)} (PTQ needs a graph without data-dependent control flow; "
            "export the model to ONNX instead)"
        ) from None


def load_state_dict_model(
    path: Path, model_def: str, input_size: tuple[int, int] | None, channels: int | None
) -> FloatModel:
    cls = model_class(model_def)
    obj = _read(path, cls, model_def)
    kind = "pickled_module" if isinstance(obj, torch.nn.Module) else "state_dict"
    if isinstance(obj, torch.nn.Module):
        model = obj
    else:
        model = instantiate(cls, model_def)
        state = _unwrap(obj, path)
        _check_matches(model, state, path, model_def)
        model.load_state_dict(state, strict=True)
    model = model.eval().float()
    shape = input_shape(model, input_size, channels, path)
    run_once(model, shape, path)
    module = _trace(model, path, model_def).eval()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        check_same_outputs(as_arrays(model(x)), module(x), path)
    return FloatModel(module, shape, path.stem, path, kind=kind)
