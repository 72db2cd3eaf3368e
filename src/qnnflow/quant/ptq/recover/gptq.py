"""GPTQ (Brevitas `gptq_mode`) after calibration."""

from __future__ import annotations

import torch
from brevitas.graph.gptq import gptq_mode

from qnnflow.quant.ptq.recover.checks import prepare, warn_if_scale_follows_weights
from qnnflow.quant.ptq.recover.gpxq_run import run_gpxq


def apply_gptq(
    qmodule: torch.nn.Module, batches: list[torch.Tensor], *, act_order: bool = True
) -> torch.nn.Module:
    """Quantize weights column by column, pushing each rounding error onto the columns not yet
    quantized (Hessian of the layer inputs); for low-bit weights on wide layers (in place)."""
    prepare(qmodule, batches, "GPTQ")
    warn_if_scale_follows_weights(qmodule, "GPTQ")
    run_gpxq(gptq_mode(qmodule, act_order=act_order), batches)
    return qmodule
