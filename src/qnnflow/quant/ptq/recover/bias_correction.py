"""Bias correction (Brevitas `bias_correction_mode`) after calibration."""

from __future__ import annotations

import torch
from brevitas.graph.calibrate import bias_correction_mode

from qnnflow.quant.ptq.recover.checks import prepare


def apply_bias_correction(qmodule: torch.nn.Module, batches: list[torch.Tensor]) -> torch.nn.Module:
    """Shift each quantized layer's bias by the mean error its quantized weights add to its
    output channels; cheap, use it whenever low-bit weights bias the outputs (in place)."""
    prepare(qmodule, batches, "bias correction")
    with torch.no_grad(), bias_correction_mode(qmodule):
        for batch in batches:
            qmodule(batch)
    return qmodule
