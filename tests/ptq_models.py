"""Float torch nets quantized the way Brevitas' graph PTQ does it
(`brevitas.graph.quantize.quantize` of a traced model), calibrated on random data and exported
to QONNX: what the compiler must accept from a post-training quantizer.

`brevitas.graph.quantize` puts a signed QuantIdentity on the input, QuantConv2d/QuantLinear
with Int32Bias (a Quant on the bias, scale = input scale x weight scale), QuantReLU (unsigned)
after the ReLUs, an aligned requantization after residual adds, and (unless
`output_quant=False`) a signed requantization of the last layer's output. The trace uses
brevitas' own fx (brevitas.fx.symbolic_trace): with torch.fx's, brevitas 0.13.4 on torch
2.13 silently leaves the inserted input quantizer unused (its fx helpers test node types
against its backported Node class), and the export fails.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn


@dataclass(frozen=True)
class Scheme:
    """Bit widths and granularity of one PTQ configuration."""

    weight_bits: int = 8
    act_bits: int = 8
    per_channel: bool = False
    output_quant: bool = True  # requantize the last layer's output (Brevitas' default)

    @property
    def name(self) -> str:
        grain = "ch" if self.per_channel else "t"
        return f"w{self.weight_bits}a{self.act_bits}{grain}{'' if self.output_quant else '_fo'}"


class SmallCNN(nn.Module):
    """(conv 3x3 -> ReLU -> maxpool 2) x 2 -> flatten -> linear, on a 3 x size x size input."""

    def __init__(self, channels: tuple[int, int] = (4, 8), size: int = 8, classes: int = 10):
        super().__init__()
        c1, c2 = channels
        self.conv1, self.relu1, self.pool1 = (
            nn.Conv2d(3, c1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.conv2, self.relu2, self.pool2 = (
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(c2 * (size // 4) ** 2, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class MLP(nn.Module):
    """linear -> ReLU -> linear -> ReLU -> linear on a flat vector."""

    def __init__(self, features: int = 32, hidden: int = 16, classes: int = 10):
        super().__init__()
        self.fc1, self.relu1 = nn.Linear(features, hidden), nn.ReLU()
        self.fc2, self.relu2 = nn.Linear(hidden, hidden), nn.ReLU()
        self.fc3 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


class MiniResNet(nn.Module):
    """stem conv -> ReLU -> one basic block (conv -> ReLU -> conv, + skip, ReLU) -> pool ->
    flatten -> linear."""

    def __init__(self, channels: int = 4, size: int = 8, classes: int = 10):
        super().__init__()
        self.stem, self.relu0 = nn.Conv2d(3, channels, 3, padding=1), nn.ReLU()
        self.conv1, self.relu1 = nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(channels * (size // 2) ** 2, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu0(self.stem(x))
        y = self.conv2(self.relu1(self.conv1(x)))
        x = self.pool(self.relu2(x + y))
        return self.fc(torch.flatten(x, 1))


class ConvChain(nn.Module):
    """conv -> BatchNorm -> ReLU -> conv (no activation: Brevitas requantizes it signed) ->
    conv -> ReLU, then either flatten (`pool=False`) or global average pool -> linear."""

    def __init__(self, channels: int = 4, classes: int = 10, pool: bool = False):
        super().__init__()
        self.conv1, self.bn, self.relu1 = (
            nn.Conv2d(3, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv3, self.relu3 = nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU()
        self.pool = pool
        self.gap, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2 * channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu3(self.conv3(self.conv2(self.relu1(self.bn(self.conv1(x))))))
        if not self.pool:
            return torch.flatten(x, 1)
        return self.fc(torch.flatten(self.gap(x), 1))


class ConvChainGAP(ConvChain):
    def __init__(self) -> None:
        super().__init__(pool=True)


NETS = {
    "cnn": (SmallCNN, (1, 3, 8, 8)),
    "mlp": (MLP, (1, 32)),
    "resnet": (MiniResNet, (1, 3, 8, 8)),
    "convchain": (ConvChain, (1, 3, 8, 8)),
    "convchain_gap": (ConvChainGAP, (1, 3, 8, 8)),
}


def _maps(scheme: Scheme) -> dict:
    """Brevitas' default quantize maps with the scheme's bit widths and weight granularity."""
    from brevitas.graph import quantize as bq
    from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat

    weight_quant = Int8WeightPerChannelFloat if scheme.per_channel else Int8WeightPerTensorFloat
    layers = {}
    for float_type in (nn.Conv2d, nn.Linear):
        quant_type, kwargs = bq.COMPUTE_LAYER_MAP[float_type]
        kwargs = {**kwargs, "weight_quant": weight_quant, "weight_bit_width": scheme.weight_bits}
        layers[float_type] = (quant_type, kwargs)
    acts = {
        key: (quant_type, {**kwargs, "bit_width": scheme.act_bits})
        for key, (quant_type, kwargs) in bq.QUANT_ACT_MAP.items()
    }
    identities = {
        key: (quant_type, {**kwargs, "bit_width": scheme.act_bits})
        for key, (quant_type, kwargs) in bq.QUANT_IDENTITY_MAP.items()
    }
    return {"compute_layer_map": layers, "quant_act_map": acts, "quant_identity_map": identities}


def quantized(net: str, scheme: Scheme, seed: int = 0) -> tuple[nn.Module, tuple[int, ...]]:
    """The seeded float `net` after Brevitas graph PTQ, calibrated on random normal batches."""
    from brevitas.graph.calibrate import calibration_mode
    from brevitas.graph.quantize import quantize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from brevitas.fx import symbolic_trace

    cls, shape = NETS[net]
    torch.manual_seed(seed)
    model = cls().eval()
    qmodel = quantize(
        symbolic_trace(model), requantize_layer_handler_output=scheme.output_quant, **_maps(scheme)
    )
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad(), calibration_mode(qmodel):
        for _ in range(4):
            qmodel(torch.randn((8, *shape[1:]), generator=gen))
    return qmodel.eval(), shape


def export(net: str, scheme: Scheme, path: Path, seed: int = 0) -> Path:
    """QONNX export (brevitas.export.export_qonnx) of quantized(net, scheme) at `path`."""
    from brevitas.export import export_qonnx

    model, shape = quantized(net, scheme, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_qonnx(model, torch.randn(shape, generator=gen), str(path))
    return path
