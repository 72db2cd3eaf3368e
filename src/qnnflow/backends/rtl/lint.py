"""Verilator's lint of one rendered layer: its wrapper with every kernel it instantiates."""

from __future__ import annotations

from qnnflow.backends.rtl import verilator
from qnnflow.backends.rtl.layer_code import RtlLayerCode


def lint(code: RtlLayerCode) -> list[str]:
    """The `verilator --lint-only -Wall` messages of the layer (empty when clean)."""
    return verilator.lint(code.sources(), code.name)
