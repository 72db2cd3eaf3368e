"""The benchmark's two float classifiers, both fx-traceable and ONNX-exportable.

SmallCNN: three conv-bn-relu-maxpool stages (32 -> 16 -> 8 -> 4 pixels at 32x32), flatten,
one Linear: the shape of FINN's CNV and of most first PTQ experiments.
SmallResNet: a stride-2 stem conv and three residual blocks (the second and third halve the
resolution with a strided conv and a 1x1 projection on the skip), joined by `torch.add` so
the residual add is a graph node quantizers and the compiler must handle, then global average
pooling and one Linear.

The no-argument constructors build the committed models' shapes (SmallCNN for 1x32x32 digits,
SmallResNet for 3x32x32 shapes), so a state dict loads with `model_def
"qnnflow.classify.models:SmallCNN"` alone.
"""

from __future__ import annotations

import torch
from torch import nn

from qnnflow.errors import QnnflowError


def _conv_bn_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    ]


class SmallCNN(nn.Module):
    """conv-bn-relu-maxpool x3 (widths 32/64/128 by default), flatten, Linear."""

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: tuple[int, int] = (32, 32),
        widths: tuple[int, ...] = (32, 64, 128),
    ):
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_channels
        for width in widths:
            layers += [*_conv_bn_relu(cin, width), nn.MaxPool2d(2)]
            cin = width
        self.features = nn.Sequential(*layers)
        scale = 2 ** len(widths)
        if input_size[0] % scale or input_size[1] % scale:
            raise QnnflowError(f"SmallCNN needs an input size divisible by {scale}: {input_size}")
        flat = cin * (input_size[0] // scale) * (input_size[1] // scale)
        self.classifier = nn.Linear(flat, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class ResidualBlock(nn.Module):
    """relu(bn(conv(relu(bn(conv(x))))) + skip(x)); skip = identity or 1x1 conv + bn."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(torch.add(y, self.skip(x)))


class SmallResNet(nn.Module):
    """Stride-2 stem conv-bn-relu, residual blocks (16, 32/2, 64/2 by default: 16x16, 8x8 and
    4x4 maps at 32x32), global average pool, Linear."""

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 4,
        widths: tuple[int, ...] = (16, 32, 64),
    ):
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn_relu(in_channels, widths[0], stride=2))
        blocks = []
        cin = widths[0]
        for i, width in enumerate(widths):
            blocks.append(ResidualBlock(cin, width, stride=1 if i == 0 else 2))
            cin = width
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(self.blocks(self.stem(x)))
        return self.classifier(torch.flatten(y, 1))


ARCHITECTURES = {"small-cnn": SmallCNN, "small-resnet": SmallResNet}


def build_model(
    arch: str, in_channels: int, num_classes: int, input_size: tuple[int, int]
) -> nn.Module:
    """One of ARCHITECTURES for this input and class count."""
    if arch == "small-cnn":
        return SmallCNN(in_channels, num_classes, input_size)
    if arch == "small-resnet":
        return SmallResNet(in_channels, num_classes)
    raise QnnflowError(f"unknown architecture '{arch}' (known: {', '.join(ARCHITECTURES)})")


def model_def(arch: str) -> str:
    """The `package.module:Class` string a loader instantiates for `arch`."""
    return f"{__name__}:{ARCHITECTURES[arch].__name__}"
