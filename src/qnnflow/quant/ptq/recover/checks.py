"""Input checks every recovery method shares: a quantized model and some calibration batches."""

from __future__ import annotations

import logging

import torch
from brevitas.core.scaling.runtime import StatsFromParameterScaling
from brevitas.nn.quant_layer import QuantWeightBiasInputOutputLayer

from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)


def quant_layers(qmodule: torch.nn.Module) -> list[tuple[str, QuantWeightBiasInputOutputLayer]]:
    """The Brevitas layers with a quantized weight (conv, linear), in module order."""
    return [
        (name, module)
        for name, module in qmodule.named_modules()
        if isinstance(module, QuantWeightBiasInputOutputLayer)
        and module.weight_quant.is_quant_enabled
    ]


def require_quantized(qmodule: torch.nn.Module, method: str) -> None:
    """Refuse a float model: the recovery methods tune a Brevitas-quantized one."""
    if not quant_layers(qmodule):
        raise QnnflowError(
            f"{method}: the model has no quantized conv/linear layer; quantize and calibrate "
            "it first (recovery methods run after quantization)"
        )


def require_batches(batches: list[torch.Tensor], method: str) -> None:
    """Refuse an empty calibration set (nothing to measure the error on)."""
    if len(batches) == 0:
        raise QnnflowError(f"{method}: no calibration batches")


def prepare(qmodule: torch.nn.Module, batches: list[torch.Tensor], method: str) -> None:
    """Check the inputs, then run one quantized forward in eval mode: weight scales initialised
    from statistics (PARAMETER_FROM_STATS) take their value on the first such forward, which
    the methods need before changing weights (eval mode leaves activation statistics alone)."""
    require_quantized(qmodule, method)
    require_batches(batches, method)
    qmodule.eval()
    with torch.no_grad():
        qmodule(batches[0])


def warn_if_scale_follows_weights(qmodule: torch.nn.Module, method: str) -> None:
    """Methods that move weights assume a fixed weight scale; a scale recomputed from the weights
    (Brevitas' runtime statistics) moves with them and re-rounds what was already chosen."""
    moving = [
        name
        for name, layer in quant_layers(qmodule)
        if any(isinstance(m, StatsFromParameterScaling) for m in layer.weight_quant.modules())
    ]
    if moving:
        log.warning(
            "%s: the weight scale of %s follows the weights (runtime statistics); a fixed scale "
            "(ScalingImplType.PARAMETER_FROM_STATS) recovers more",
            method,
            ", ".join(moving),
        )
