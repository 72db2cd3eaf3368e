"""A seeded digits (sklearn 8x8) task, a small CNN trained on it in seconds, and a Brevitas
per-tensor WnAn quantization of it, for the recovery tests and the measurement script.
Quantization uses Brevitas directly until quant/ptq/quantize.py lands."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import brevitas.nn as qnn
import torch
from brevitas.graph.calibrate import calibration_mode
from brevitas.graph.quantize import COMPUTE_LAYER_MAP, preprocess_for_quantize, quantize
from brevitas.inject.enum import ScalingImplType
from brevitas.quant import Int8ActPerTensorFloat, Int8WeightPerTensorFloat, Uint8ActPerTensorFloat
from sklearn.datasets import load_digits
from torch import nn

SCALING = ScalingImplType.PARAMETER_FROM_STATS  # a fixed scale: tuned weights must not move it


@dataclass
class Digits:
    """Train / calibration / held-out splits of sklearn's digits as (N, 1, 8, 8) in [0, 1]."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def calib_batches(self, samples: int = 256, batch: int = 64) -> list[torch.Tensor]:
        """The first samples of the training split, as the calibration set."""
        return [self.train_x[i : i + batch] for i in range(0, samples, batch)]


def load_digits_splits(seed: int = 0) -> Digits:
    """1200 training images, the rest (597) held out; a seeded shuffle."""
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
    y = torch.tensor(data.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    return Digits(x[:1200], y[:1200], x[1200:], y[1200:])


class TwoConvNet(nn.Module):
    """conv-relu-pool, conv-relu-pool, linear: the 2-layer CNN of the measurements."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2 * width * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc(self.flatten(x))


def train_float(digits: Digits, epochs: int = 30, seed: int = 0) -> torch.fx.GraphModule:
    """Adam, a few seconds on CPU; returns the traced float model (as the loader gives it)."""
    torch.manual_seed(seed)
    net = TwoConvNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(epochs):
        for i in range(0, len(digits.train_x), 100):
            loss = nn.functional.cross_entropy(
                net(digits.train_x[i : i + 100]), digits.train_y[i : i + 100]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return torch.fx.symbolic_trace(net.eval())


def quantize_per_tensor(
    float_module: torch.nn.Module, bits: int, batches: list[torch.Tensor]
) -> torch.nn.Module:
    """WnAn per-tensor float-scale Brevitas model of a copy, calibrated (minmax-like stats) on
    the batches. Brevitas' own tracer: torch.fx's graph loses the input quantizer's users."""
    weight = Int8WeightPerTensorFloat.let(bit_width=bits, scaling_impl_type=SCALING)
    unsigned = Uint8ActPerTensorFloat.let(bit_width=bits)
    signed = Int8ActPerTensorFloat.let(bit_width=bits)
    layers = dict(COMPUTE_LAYER_MAP)
    for kind in (nn.Conv2d, nn.Linear):
        layers[kind] = (layers[kind][0], {**layers[kind][1], "weight_quant": weight})
    acts = {nn.ReLU: (qnn.QuantReLU, {"act_quant": unsigned, "return_quant_tensor": True})}
    identities = {
        "signed": (qnn.QuantIdentity, {"act_quant": signed, "return_quant_tensor": True}),
        "unsigned": (qnn.QuantIdentity, {"act_quant": unsigned, "return_quant_tensor": True}),
    }
    graph = preprocess_for_quantize(copy.deepcopy(float_module))
    qmodule = quantize(
        graph, quant_identity_map=identities, compute_layer_map=layers, quant_act_map=acts
    )
    qmodule.eval()
    with torch.no_grad(), calibration_mode(qmodule):
        for batch in batches:
            qmodule(batch)
    return qmodule


def top1(module: torch.nn.Module, digits: Digits) -> float:
    """Held-out top-1 accuracy in percent."""
    with torch.no_grad():
        return 100.0 * float((module(digits.test_x).argmax(1) == digits.test_y).float().mean())


def output_mse(module: torch.nn.Module, reference: torch.nn.Module, x: torch.Tensor) -> float:
    """Mean squared difference of two models' outputs on the same inputs."""
    with torch.no_grad():
        return float(((module(x) - reference(x)) ** 2).mean())
