"""Drive a Brevitas GPxQ context (GPTQ, GPFQ): one pass over the batches per layer."""

from __future__ import annotations

import torch
from brevitas.graph.gpxq import gpxq_mode


def run_gpxq(context: gpxq_mode, batches: list[torch.Tensor]) -> None:
    """Brevitas updates one layer after each full pass over the calibration set, in order."""
    with torch.no_grad(), context as running:
        for _ in range(running.num_layers):
            for batch in batches:
                running.model(batch)
            running.update()
