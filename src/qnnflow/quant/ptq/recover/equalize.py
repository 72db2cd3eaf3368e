"""Cross-layer and activation equalization (Brevitas `EqualizeGraph`,
`activation_equalization_mode`) on the float model, before quantization."""

from __future__ import annotations

import copy
import logging

import torch
from brevitas.fx import GraphModule as BrevitasGraphModule
from brevitas.graph.equalize import EqualizeGraph, activation_equalization_mode

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.recover.checks import quant_layers, require_batches

log = logging.getLogger(__name__)


def equalize_graph(
    float_module: torch.fx.GraphModule, iterations: int = 20
) -> torch.fx.GraphModule:
    """Rescale the output channels of each layer and the input channels of the layer after it
    (through ReLU/pooling) so their weight ranges match; the float function is unchanged and
    per-tensor weight quantization loses less. Returns an equalized copy."""
    module = _float_graph_copy(float_module, "graph equalization")
    module, regions = EqualizeGraph(iterations=iterations, return_regions=True).apply(module)
    if not regions:
        log.warning(
            "graph equalization: no pair of consecutive layers to equalize; model unchanged"
        )
    return module


def equalize_activations(
    float_module: torch.fx.GraphModule, batches: list[torch.Tensor], alpha: float = 0.5
) -> torch.fx.GraphModule:
    """SmoothQuant-style: move part (alpha) of each channel's activation range into the next
    layer's weights, folding the scale into the layer before; for activations with outlier
    channels that per-tensor activation quantization clips or crushes. Returns a copy."""
    require_batches(batches, "activation equalization")
    if not 0.0 <= alpha <= 1.0:
        raise QnnflowError(f"activation equalization: alpha {alpha} is not in [0, 1]")
    module = _float_graph_copy(float_module, "activation equalization")
    with (
        torch.no_grad(),
        activation_equalization_mode(
            module, alpha, add_mul_node=False, layerwise=False
        ) as equalizer,
    ):
        for batch in batches:
            module(batch)
    if all(factors.dim() == 0 for factors in equalizer.scale_factors):  # a scalar: skipped
        log.warning(
            "activation equalization: no activation between two layers to equalize through; "
            "model unchanged"
        )
    return module


def _float_graph_copy(float_module: torch.nn.Module, method: str) -> torch.fx.GraphModule:
    """Equalization runs on the traced float model, before quantization."""
    if quant_layers(float_module):
        raise QnnflowError(f"{method}: runs on the float model, before quantization")
    if not isinstance(float_module, (torch.fx.GraphModule, BrevitasGraphModule)):
        raise QnnflowError(f"{method}: needs a traced float model (torch.fx.GraphModule)")
    return copy.deepcopy(float_module).eval()
