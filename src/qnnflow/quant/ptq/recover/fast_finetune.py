"""Fast finetune (AdaQuant-style, as Vitis AI's `fast_finetune`): tune each quantized layer's
float weights and bias so its output follows the float layer's, one layer at a time."""

from __future__ import annotations

import logging

import torch

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.recover.checks import prepare, quant_layers, warn_if_scale_follows_weights
from qnnflow.quant.ptq.recover.layer_io import (
    in_call_order,
    layer_inputs,
    layer_output,
    layer_outputs,
    output_unquantized,
    sample_rows,
)

log = logging.getLogger(__name__)


def apply_fast_finetune(
    qmodule: torch.nn.Module,
    float_module: torch.nn.Module,
    batches: list[torch.Tensor],
    iterations: int = 300,
    *,
    lr: float = 1e-3,
    batch_size: int = 32,
) -> torch.nn.Module:
    """Minimise, per layer in call order, the MSE between the quantized layer's output (on the
    quantized model's inputs, earlier layers already tuned) and the float layer's output (on
    the float model's inputs) with Adam; the strongest weight fix when a calibration set is at
    hand, seeded by torch.manual_seed (in place)."""
    prepare(qmodule, batches, "fast finetune")
    warn_if_scale_follows_weights(qmodule, "fast finetune")
    float_layers = dict(float_module.named_modules())
    float_module.eval()
    for name, layer in in_call_order(qmodule, quant_layers(qmodule), batches[0]):
        float_layer = float_layers.get(name)
        if float_layer is None or getattr(float_layer, "weight", None) is None:
            raise QnnflowError(f"fast finetune: the float model has no layer '{name}' with weights")
        if float_layer.weight.shape != layer.weight.shape:
            raise QnnflowError(
                f"fast finetune: layer '{name}' has weights {tuple(layer.weight.shape)} quantized "
                f"but {tuple(float_layer.weight.shape)} in the float model"
            )
        inputs = layer_inputs(qmodule, layer, batches)
        targets = layer_outputs(float_module, float_layer, batches)
        if len(inputs) != len(targets):
            raise QnnflowError(
                f"fast finetune: layer '{name}' runs {len(inputs)} times in the quantized model "
                f"but {len(targets)} times in the float model"
            )
        before, after = _tune_layer(layer, inputs, targets, iterations, lr, batch_size)
        log.info("fast finetune %s: output MSE %.3g -> %.3g", name, before, after)
    return qmodule


def _tune_layer(
    layer: torch.nn.Module,
    inputs: list[object],
    targets: list[torch.Tensor],
    iterations: int,
    lr: float,
    batch_size: int,
) -> tuple[float, float]:
    """Adam on the layer's weight and bias; keeps the start if tuning did not lower the MSE
    over the whole calibration set."""
    params = [p for p in (layer.weight, layer.bias) if p is not None]
    start = [p.detach().clone() for p in params]
    before = _calibration_mse(layer, inputs, targets)
    optimizer = torch.optim.Adam(params, lr=lr)
    with output_unquantized(layer):
        for _ in range(iterations):
            x, target = sample_rows(inputs, targets, batch_size)
            loss = torch.nn.functional.mse_loss(layer_output(layer, x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    after = _calibration_mse(layer, inputs, targets)
    if after >= before:
        with torch.no_grad():
            for param, value in zip(params, start, strict=True):
                param.copy_(value)
        after = before
    return before, after


def _calibration_mse(
    layer: torch.nn.Module, inputs: list[object], targets: list[torch.Tensor]
) -> float:
    """Mean squared error of the layer's output over every captured call."""
    with torch.no_grad(), output_unquantized(layer):
        errors = [
            torch.nn.functional.mse_loss(layer_output(layer, x), t, reduction="sum")
            for x, t in zip(inputs, targets, strict=True)
        ]
    return float(sum(errors) / sum(t.numel() for t in targets))
