"""Torch modules with Darknet's exact inference semantics, for the layers that torch's stock
modules compute differently (batch norm epsilon, max-pool padding, route, shortcut)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from qnnflow.frontend.darknet.layers import MaxPoolLayer

DARKNET_BN_EPS = 1e-6


class DarknetBatchNorm2d(nn.BatchNorm2d):
    """Batch norm whose running_var is Darknet's rolling variance: inference computes
    `scale * (x - mean) / (sqrt(var) + 1e-6) + bias` (epsilon on the standard deviation).

    Keeping Darknet's variance in the buffer (rather than a converted one) makes the
    cfg+weights round trip bit-exact. Training normalises with the batch statistics.
    """

    def __init__(self, channels: int, momentum: float = 0.1) -> None:
        super().__init__(channels, eps=DARKNET_BN_EPS, momentum=momentum)

    def effective_var(self) -> torch.Tensor:
        """(sqrt(var) + 1e-6)^2 computed in float64, as the importer stores it (epsilon 0)."""
        std = torch.sqrt(self.running_var.double()) + DARKNET_BN_EPS
        return (std * std).to(self.running_var.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return super().forward(x)
        return F.batch_norm(
            x, self.running_mean, self.effective_var(), self.weight, self.bias, False, 0.0, 0.0
        )


class DarknetMaxPool(nn.Module):
    """Darknet's max-pool: windows start at -padding/2, cells outside the image never win.

    Pads that torch's symmetric padding cannot express become an explicit pad before the
    pool: zeros when the input is known non-negative (after ReLU/logistic, the form the
    streamliner moves scales past), else -inf.
    """

    def __init__(self, layer: MaxPoolLayer, nonnegative: bool) -> None:
        super().__init__()
        top, left, bottom, right = layer.pads
        self.pads = (left, right, top, bottom)
        self.fill = 0.0 if nonnegative else float("-inf")
        self.pool = nn.MaxPool2d(layer.size, layer.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pads):
            x = F.pad(x, self.pads, value=self.fill)
        return self.pool(x)


class Route(nn.Module):
    """[route]: concatenate the sources' channels, each optionally split into `groups`."""

    def __init__(self, sources: list[int], channels: list[int], groups: int, group_id: int):
        super().__init__()
        self.sources = list(sources)
        self.slices = [(c // groups * group_id, c // groups * (group_id + 1)) for c in channels]
        self.split = groups > 1

    def forward(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        parts = []
        for src, (begin, end) in zip(self.sources, self.slices, strict=True):
            x = outputs[src]
            parts.append(x[:, begin:end] if self.split else x)
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


class Upsample(nn.Module):
    """[upsample]: nearest neighbour by `stride`, times `scale`."""

    def __init__(self, stride: int, scale: float) -> None:
        super().__init__()
        self.stride = stride
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.interpolate(x, scale_factor=float(self.stride), mode="nearest")
        return y if self.scale == 1.0 else y * self.scale


class Shortcut(nn.Module):
    """[shortcut]: add an earlier layer's output, then the activation."""

    def __init__(self, source: int, activation: nn.Module) -> None:
        super().__init__()
        self.source = source
        self.act = activation

    def forward(self, x: torch.Tensor, outputs: list[torch.Tensor]) -> torch.Tensor:
        return self.act(x + outputs[self.source])


def float_activation(name: str) -> nn.Module:
    """Darknet activation by cfg name (only those the importer converts)."""
    table = {
        "linear": nn.Identity,
        "relu": nn.ReLU,
        "logistic": nn.Sigmoid,
        "leaky": lambda: nn.LeakyReLU(0.1),
    }
    if name not in table:
        raise ValueError(f"activation {name!r} is not supported")
    return table[name]()
