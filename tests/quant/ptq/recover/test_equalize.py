"""Graph and activation equalization keep the float function, even out per-channel ranges and
lower the quantization error of a digits CNN whose channels were deliberately unbalanced."""

from __future__ import annotations

import copy
import logging

import pytest
import torch

from qnnflow.quant.ptq.recover.equalize import equalize_activations, equalize_graph
from tests.quant.ptq.recover.digits_setup import output_mse, quantize_per_tensor


@pytest.fixture(scope="module")
def unbalanced(float_model):
    """The same function with conv1's output channel c scaled by k_c and conv2's input channel
    c by 1/k_c (ReLU and max-pooling commute with positive scales): ranges 40x apart."""
    model = copy.deepcopy(float_model)
    channels = model.conv1.out_channels
    k = torch.logspace(-0.8, 0.8, channels)[torch.randperm(channels, generator=_gen())]
    with torch.no_grad():
        model.conv1.weight.mul_(k.view(-1, 1, 1, 1))
        model.conv1.bias.mul_(k)
        model.conv2.weight.div_(k.view(1, -1, 1, 1))
    return model


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(3)


def _range_spread(weight: torch.Tensor, dim: int) -> float:
    """Largest over smallest per-channel max |w| along one axis."""
    ranges = weight.abs().transpose(0, dim).flatten(1).amax(1)
    return float(ranges.max() / ranges.min())


def _max_diff(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor) -> float:
    with torch.no_grad():
        return float((a(x) - b(x)).abs().max())


def test_graph_equalization_keeps_the_function_and_evens_out_ranges(
    unbalanced, float_model, calib, digits
):
    equalized = equalize_graph(unbalanced)
    assert _max_diff(equalized, unbalanced, digits.test_x) <= 1e-4
    assert _range_spread(equalized.conv1.weight, 0) < 0.5 * _range_spread(
        unbalanced.conv1.weight, 0
    )
    assert _range_spread(equalized.conv2.weight, 1) < 0.5 * _range_spread(
        unbalanced.conv2.weight, 1
    )
    assert not torch.equal(unbalanced.conv1.weight, equalized.conv1.weight)  # a copy changed
    plain = quantize_per_tensor(unbalanced, 4, calib)
    better = quantize_per_tensor(equalized, 4, calib)
    held_out = digits.test_x
    assert output_mse(better, float_model, held_out) < 0.8 * output_mse(
        plain, float_model, held_out
    )


def test_activation_equalization_keeps_the_function_and_lowers_the_error(
    unbalanced, float_model, calib, digits
):
    equalized = equalize_activations(unbalanced, calib, alpha=0.5)
    assert _max_diff(equalized, unbalanced, digits.test_x) <= 1e-4
    assert not torch.equal(unbalanced.conv1.weight, equalized.conv1.weight)
    with torch.no_grad():
        spread_before = _range_spread(
            unbalanced.pool1(unbalanced.relu1(unbalanced.conv1(digits.test_x))) + 1e-3, 1
        )
        spread_after = _range_spread(
            equalized.pool1(equalized.relu1(equalized.conv1(digits.test_x))) + 1e-3, 1
        )
    assert spread_after < spread_before
    plain = quantize_per_tensor(unbalanced, 4, calib)
    better = quantize_per_tensor(equalized, 4, calib)
    held_out = digits.test_x
    assert output_mse(better, float_model, held_out) < 0.8 * output_mse(
        plain, float_model, held_out
    )


class _OneLayer(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


@pytest.mark.parametrize("method", ["graph", "activation"])
def test_nothing_to_equalize_is_a_warning(method, calib, caplog):
    model = torch.fx.symbolic_trace(_OneLayer().eval())
    with caplog.at_level(logging.WARNING):
        if method == "graph":
            result = equalize_graph(model)
        else:
            result = equalize_activations(model, calib)
    assert "nothing" in caplog.text or "no " in caplog.text
    assert f"{method} equalization" in caplog.text
    assert _max_diff(result, model, calib[0]) == 0.0
