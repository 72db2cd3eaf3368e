"""Tiny float networks for the `qnnflow quantize` CLI tests: small enough that a whole PTQ run
(load, calibrate, export) takes about a second, with BN and biases so every quantizer appears.
A `.pth` of these loads with `--model-def tests/commands/ptq_nets.py:TinyCNN`."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

INPUT_SHAPE = (1, 1, 8, 8)
HERE = Path(__file__).resolve()


class TinyCNN(nn.Module):
    """conv-bn-relu, conv-relu, flatten, linear at 1x8x8: layers conv1, conv2, fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.fc = nn.Linear(6 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


class DataDependent(TinyCNN):
    """Branches on a tensor's value: torch.fx (and so Brevitas) cannot trace it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            x = -x
        return super().forward(x)


def tiny_cnn(seed: int = 0) -> TinyCNN:
    """Seeded weights and BN statistics that are not the defaults."""
    torch.manual_seed(seed)
    model = TinyCNN()
    with torch.no_grad():
        model.bn1.running_mean.uniform_(-0.3, 0.3)
        model.bn1.running_var.uniform_(0.5, 1.5)
        model.bn1.weight.uniform_(0.5, 1.5)
        model.bn1.bias.uniform_(-0.2, 0.2)
    return model.eval()


def export_onnx(model: nn.Module, path: Path, shape: tuple[int, ...] = INPUT_SHAPE) -> Path:
    """Float ONNX as a user exports it (torch's TorchScript-based exporter)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, torch.zeros(shape), str(path), input_names=["x"], dynamo=False, opset_version=13
        )
    return path


def export_torchscript(model: nn.Module, path: Path) -> Path:
    torch.jit.trace(model, torch.zeros(INPUT_SHAPE)).save(str(path))
    return path


def model_def(cls: str = "TinyCNN") -> str:
    """The --model-def value naming a class of this file."""
    return f"{HERE}:{cls}"
