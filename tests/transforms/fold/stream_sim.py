"""The word-level simulator the FIFO tests use: qnnflow.transforms.fold.fifo_sim."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.transforms.fold import fifo_sim


def simulate(model: ModelWrapper, max_cycles: int = 200_000) -> tuple[bool, int]:
    """(finished without deadlock, cycles taken) for one frame."""
    result = fifo_sim.simulate(model, frames=1, max_cycles=max_cycles)
    return result.finished, result.cycles
