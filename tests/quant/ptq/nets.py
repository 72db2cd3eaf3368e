"""Small float models for the PTQ tests: a CNN, a mini-ResNet with torch.add, an MLP."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from qnnflow.quant.ptq.float_model import FloatModel


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool(self.relu2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class MiniResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.block_conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.block_relu = nn.ReLU()
        self.block_conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.out_relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem_relu(self.stem(x))
        y = self.block_conv2(self.block_relu(self.block_conv1(x)))
        x = self.out_relu(torch.add(x, y))
        return self.head(torch.flatten(self.pool(x), 1))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 16)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


NETS = {
    "cnn": (SmallCNN, (1, 3, 8, 8)),
    "resnet": (MiniResNet, (1, 3, 8, 8)),
    "mlp": (MLP, (1, 20)),
}


def float_model(kind: str, seed: int = 0) -> FloatModel:
    """A seeded float model of the kind, traced to fx (BN statistics made non-trivial)."""
    cls, shape = NETS[kind]
    torch.manual_seed(seed)
    module = cls()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    module.eval()
    return FloatModel(torch.fx.symbolic_trace(module), shape, kind, Path(f"{kind}.py"))


def batches(shape: tuple[int, ...], count: int = 3, size: int = 4, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn((size, *shape[1:]), generator=gen) for _ in range(count)]


def quantized(kind: str, options):
    """(float model, calibrated Brevitas model, calibration batches) for a net and options."""
    from qnnflow.quant.ptq.quantize import calibrate, quantize_float_model

    fm = float_model(kind)
    qmodule = quantize_float_model(fm, options)
    data = batches(fm.input_shape)
    calibrate(qmodule, data)
    return fm, qmodule, data
