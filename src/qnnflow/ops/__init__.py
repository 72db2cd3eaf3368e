"""Hardware ops (qonnx custom ops in domain `qnnflow.ops`), one class per layer type.

An op is registered by being defined: every module of this package is imported, and every
concrete HWOp subclass is added to qonnx's registry for this domain and exported here, so a
new op is one new module and no list to edit."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from qonnx.custom_op.registry import add_op_to_domain

from qnnflow.ops.base import DOMAIN, FoldingError, FoldPlan, HWOp


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _register_ops() -> dict[str, type[HWOp]]:
    """Import every module of the package; register and return its concrete ops by name."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    ops = {}
    for cls in _subclasses(HWOp):
        if not inspect.isabstract(cls) and cls.__module__.startswith(f"{__name__}."):
            add_op_to_domain(DOMAIN, cls)
            ops[cls.__name__] = cls
    return ops


OPS = _register_ops()
globals().update(OPS)

__all__ = ["DOMAIN", "OPS", "FoldPlan", "FoldingError", "HWOp", *sorted(OPS)]
