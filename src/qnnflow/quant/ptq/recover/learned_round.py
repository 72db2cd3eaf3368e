"""Learned rounding (AdaRound): per weight, learn whether to round down or up so the layer's
output follows the float layer's, one layer at a time, then freeze the choice."""

from __future__ import annotations

import logging

import torch
from brevitas.inject.enum import LearnedRoundImplType
from brevitas.nn.quant_layer import QuantWeightBiasInputOutputLayer
from brevitas_examples.common.learned_round.learned_round_method import (
    RoundRegularisationLoss,
    insert_learned_round_quantizers,
    return_learned_round_quantizers,
)

from qnnflow.quant.ptq.recover.checks import prepare, quant_layers, warn_if_scale_follows_weights
from qnnflow.quant.ptq.recover.layer_io import (
    in_call_order,
    layer_inputs,
    layer_output,
    layer_outputs,
    output_unquantized,
    quantization_disabled,
    sample_rows,
)

log = logging.getLogger(__name__)


def apply_learned_round(
    qmodule: torch.nn.Module,
    batches: list[torch.Tensor],
    iterations: int = 500,
    *,
    lr: float = 1e-2,
    batch_size: int = 32,
    regularisation: float = 0.01,
) -> torch.nn.Module:
    """Learn each weight's rounding direction h(V) in [0, 1] (rectified sigmoid, Brevitas'
    LearnedRoundHardSigmoid) against the layer-output MSE plus the regulariser that drives
    h to 0 or 1; better than nearest rounding at 2-4 bit weights. Seeded by torch.manual_seed;
    the learned rounding is baked into the weights (in place)."""
    prepare(qmodule, batches, "learned round")
    warn_if_scale_follows_weights(qmodule, "learned round")
    layers = in_call_order(qmodule, quant_layers(qmodule), batches[0])
    saved = {name: _weight_quantizer(layer) for name, layer in layers}
    for name, layer in layers:
        with quantization_disabled(qmodule):
            targets = layer_outputs(qmodule, layer, batches)
        inputs = layer_inputs(qmodule, layer, batches)
        loss = _learn_layer(layer, inputs, targets, iterations, lr, batch_size, regularisation)
        log.info("learned round %s: final loss %.3g", name, loss)
    for name, layer in layers:
        _bake(name, layer, saved[name])
    return qmodule


def _weight_quantizer(layer: QuantWeightBiasInputOutputLayer) -> tuple[object, torch.nn.Module]:
    """The layer's rounding-to-nearest weight quantizer, to put back after learning."""
    return layer.weight_quant.quant_injector, layer.weight_quant.tensor_quant


def _learn_layer(
    layer: QuantWeightBiasInputOutputLayer,
    inputs: list[object],
    targets: list[torch.Tensor],
    iterations: int,
    lr: float,
    batch_size: int,
    regularisation: float,
) -> float:
    """Swap in Brevitas' learned-round quantizer (started at the fractional part, so it first
    rounds like the float weight), train its V with Adam, then set it to hard rounding."""
    insert_learned_round_quantizers(layer, LearnedRoundImplType.HARD_SIGMOID)
    rounders = return_learned_round_quantizers(layer)
    for rounder in rounders:
        rounder.train()
    round_loss = RoundRegularisationLoss(layer, weight=regularisation, max_count=iterations)
    optimizer = torch.optim.Adam([r.value for r in rounders], lr=lr)
    loss = torch.zeros(())
    with output_unquantized(layer):
        for _ in range(iterations):
            x, target = sample_rows(inputs, targets, batch_size)
            out = layer_output(layer, x)
            loss = _reconstruction_error(out, target) + round_loss(out, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for rounder in rounders:
        rounder.eval()
    return float(loss.detach())


def _reconstruction_error(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """AdaRound's ||W x - W~ x||^2: summed over a sample's outputs, averaged over samples (a
    per-element mean would let the regulariser, summed over every weight, drown it)."""
    return (out - target).pow(2).flatten(1).sum(1).mean()


def _bake(
    name: str, layer: QuantWeightBiasInputOutputLayer, saved: tuple[object, torch.nn.Module]
) -> None:
    """Freeze: write the learned-rounded weights into the float weight and restore the plain
    quantizer, which then reproduces them exactly (the scale is unchanged); keep the learned
    quantizer (hard rounding) where it would not."""
    with torch.no_grad():
        learned = layer.quant_weight().value.detach().clone()
        original = layer.weight.detach().clone()
        learned_quantizer = _weight_quantizer(layer)
        layer.weight_quant.quant_injector, layer.weight_quant.tensor_quant = saved
        layer.weight.copy_(learned)
        if not torch.equal(layer.quant_weight().value, learned):
            log.warning("learned round %s: kept the learned quantizer (scale would move)", name)
            layer.weight.copy_(original)
            layer.weight_quant.quant_injector, layer.weight_quant.tensor_quant = learned_quantizer
