"""Small float torch networks (torchvision-free) that cover what PTQ users bring: a plain CNN,
a mini-ResNet with residual adds, depthwise convs with a gate, an FPN-like net with two
outputs, a token MLP (MatMul + Add) and a net of padding/resizing/reduction ops; plus the
ONNX export every test uses (the legacy TorchScript-based exporter, as users run it)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


def randomize_batchnorms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Seeded BN statistics: defaults (mean 0, var 1, gamma 1) would hide folding mistakes."""
    gen = torch.Generator().manual_seed(seed)
    for bn in model.modules():
        if isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = bn.num_features
            bn.running_mean.copy_(torch.randn(n, generator=gen) * 0.3)
            bn.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            bn.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            bn.bias.data.copy_(torch.randn(n, generator=gen) * 0.2)
    return model.eval()


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(F.relu6(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class MiniResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU()
        )
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class DepthwiseNet(nn.Module):
    """Depthwise + pointwise convs, a sigmoid gate (Mul), LeakyReLU, a concat, a global
    average pool and `x.view(x.size(0), -1)` (Shape/Gather/Reshape in the ONNX)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, 2, 1)
        self.dw = nn.Conv2d(12, 12, 3, 1, 1, groups=12)
        self.pw = nn.Conv2d(12, 12, 1)
        self.fc = nn.Linear(24, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv(x), 0.1)
        y = self.pw(F.relu(self.dw(x)))
        y = y * torch.sigmoid(y)
        z = F.adaptive_avg_pool2d(torch.cat([x, y], 1), 1)
        return self.fc(z.view(z.size(0), -1))


class TwoHeads(nn.Module):
    """An FPN-like detector body: nearest 2x upsampling, a skip concat and two outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, 1, 1)
        self.c2 = nn.Conv2d(8, 16, 3, 2, 1)
        self.head_small = nn.Conv2d(16, 6, 1)
        self.lateral = nn.Conv2d(16, 8, 1)
        self.head_large = nn.Conv2d(16, 6, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = F.relu(self.c1(x))
        b = F.relu(self.c2(a))
        up = F.interpolate(F.relu(self.lateral(b)), scale_factor=2.0, mode="nearest")
        return self.head_small(b), self.head_large(torch.cat([up, a], 1))


class TokenMLP(nn.Module):
    """nn.Linear on a 3-D input (exported as MatMul + Add), a flatten, Linear + BatchNorm1d."""

    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Linear(16, 24)
        self.fc = nn.Linear(4 * 24, 8)
        self.norm = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.mix(x))
        return self.head(F.relu(self.norm(self.fc(x.reshape(x.shape[0], -1)))))


class PadResizeNet(nn.Module):
    """Reflect padding, zero-padded average pooling, bilinear resizing, Hardswish, constant
    Sub/Div, a spatial mean (ReduceMean) and a softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.pool = nn.AvgPool2d(3, 2, padding=1, count_include_pad=True)
        self.fc = nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.pad((x - 0.5) / 0.25, (1, 1, 1, 1), mode="reflect"))
        x = F.hardswish(self.pool(x))
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return torch.softmax(self.fc(x.mean((2, 3))), dim=-1)


NETS = {
    "small_cnn": (SmallCNN, (1, 3, 16, 16)),
    "mini_resnet": (MiniResNet, (1, 3, 16, 16)),
    "depthwise": (DepthwiseNet, (1, 3, 16, 16)),
    "two_heads": (TwoHeads, (1, 3, 16, 16)),
    "token_mlp": (TokenMLP, (1, 4, 16)),
    "pad_resize": (PadResizeNet, (1, 3, 12, 12)),
}


def make_net(name: str, seed: int = 0) -> tuple[nn.Module, tuple[int, ...]]:
    torch.manual_seed(seed)
    cls, shape = NETS[name]
    return randomize_batchnorms(cls(), seed), shape


def export_onnx(model: nn.Module, shape: tuple[int, ...], path: Path) -> Path:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (torch.zeros(shape),),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["input"],
        )
    return path
