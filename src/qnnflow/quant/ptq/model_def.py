"""Find the model class a state dict belongs to from `--model-def` (Vitis AI's model.py habit):
`package.module:Class` on the import path, or `path/to/model.py:Class`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.frontend.onnx_import.read import first_line

FORMS = "'package.module:Class' or 'path/to/model.py:Class'"


def split_model_def(text: str) -> tuple[str, str]:
    """('package.module' or 'path/to/model.py', 'Class'); a malformed string is refused."""
    where, sep, name = text.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise QnnflowError(f"bad --model-def '{text}': expected {FORMS}")
    return where, name


def _is_file_form(where: str) -> bool:
    return where.endswith(".py") or "/" in where or "\\" in where


def _import_file(where: str, text: str):
    path = Path(where)
    if not path.is_file():
        raise QnnflowError(f"--model-def '{text}': file {path} not found")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise QnnflowError(f"--model-def '{text}': {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # its sibling imports, as `python` would
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - whatever the user's file raises is its fault
        raise QnnflowError(
            f"--model-def '{text}': importing {path} failed: {type(exc).__name__}: "
            f"{first_line(exc)}"
        ) from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    sys.modules.setdefault(path.stem, module)  # pickles name classes by module
    return module


def _import_module(where: str, text: str):
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        missing = exc.name or where
        raise QnnflowError(
            f"--model-def '{text}': module '{missing}' not found (not on the Python path; "
            "a file path like path/to/model.py:Class works too)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - whatever the user's module raises is its fault
        raise QnnflowError(
            f"--model-def '{text}': importing '{where}' failed: {type(exc).__name__}: "
            f"{first_line(exc)}"
        ) from None


def model_class(text: str) -> type:
    """The nn.Module subclass `text` names."""
    import torch

    where, name = split_model_def(text)
    module = _import_file(where, text) if _is_file_form(where) else _import_module(where, text)
    cls = getattr(module, name, None)
    if cls is None:
        found = sorted(
            k
            for k, v in vars(module).items()
            if isinstance(v, type)
            and issubclass(v, torch.nn.Module)
            and v.__module__ == module.__name__
        )
        listing = ", ".join(found) or "none"
        raise QnnflowError(
            f"--model-def '{text}': '{where}' has no class '{name}' (its nn.Modules: {listing})"
        )
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise QnnflowError(f"--model-def '{text}': '{name}' is not a torch.nn.Module subclass")
    return cls


def instantiate(cls: type, text: str):
    """cls() with no arguments, as the state dict's model definition must allow."""
    try:
        return cls()
    except Exception as exc:  # noqa: BLE001 - the user's constructor decides what it raises
        raise QnnflowError(
            f"--model-def '{text}': {cls.__name__}() without arguments failed: "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from None
