"""GPFQ (Brevitas `gpfq_mode`) after calibration."""

from __future__ import annotations

import torch
from brevitas.graph.gpfq import gpfq_mode

from qnnflow.quant.ptq.recover.checks import prepare, warn_if_scale_follows_weights
from qnnflow.quant.ptq.recover.gpxq_run import run_gpxq


def apply_gpfq(
    qmodule: torch.nn.Module, batches: list[torch.Tensor], *, act_order: bool = False
) -> torch.nn.Module:
    """Greedy path following: choose each quantized weight so the layer's output on the
    quantized inputs follows the float layer's output on float inputs, which also absorbs the
    error of the layers before; for low-bit weights and activations (in place)."""
    prepare(qmodule, batches, "GPFQ")
    warn_if_scale_follows_weights(qmodule, "GPFQ")
    run_gpxq(gpfq_mode(qmodule, act_order=act_order), batches)
    return qmodule
