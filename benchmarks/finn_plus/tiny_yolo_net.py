"""A Tiny-YOLO-like W1A3 network that both finn-plus and qnnflow can compile, exported to QONNX.

Tinier-YOLO itself cannot go through FINN (a 2x2 stride-1 max-pool with asymmetric padding,
and binary weights larger than the XC7Z020's BRAM), so this keeps its shape of a detector
backbone within FINN's reach: an 8-bit-weight first conv on 8-bit pixels, binary-weight 3x3
convs with 3-bit ReLU activations, 2x2 stride-2 max-pools only, and an 8-bit 1x1 head conv
with a float bias (the YOLOv2 region tensor, 5 anchors x (5 + 20 classes) = 125 channels).
Weights are random (seeded); batch-norm statistics come from a random calibration batch so
that every activation uses its whole 3-bit range, as a trained net's would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from brevitas.nn import QuantConv2d, QuantIdentity, QuantReLU
from brevitas.quant import (
    Int8WeightPerTensorFloat,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloatMaxInit,
)
from torch import nn


@dataclass(frozen=True)
class NetSpec:
    """Input size, 3x3 conv widths (first one 8-bit, the rest binary), pools and head."""

    size: int = 416
    widths: tuple[int, ...] = (16, 32, 64, 64, 128, 128, 128)
    # after each conv: "2s2" = MaxPool 2x2 stride 2; "2s1pad" = Tinier-YOLO's pool5 (pad one
    # zero row/column at the bottom/right, then MaxPool 2x2 stride 1: same size); None
    pools: tuple[str | None, ...] = ("2s2", "2s2", "2s2", "2s2", "2s2", None, None)
    head_channels: int = 125
    act_bits: int = 3


class TinyYoloLike(nn.Module):
    """pixels 0..255 -> /255 -> 8-bit quant -> [conv3x3, BN, 3-bit ReLU, (pool)]* ->
    1x1 8-bit conv + bias."""

    def __init__(self, spec: NetSpec) -> None:
        super().__init__()
        self.inp = QuantIdentity(act_quant=Uint8ActPerTensorFloatMaxInit, max_val=1.0)
        layers: list[nn.Module] = []
        c_in = 3
        for i, (c_out, pool) in enumerate(zip(spec.widths, spec.pools, strict=True)):
            if i == 0:
                quant = {"weight_quant": Int8WeightPerTensorFloat, "weight_bit_width": 8}
            else:
                quant = {"weight_quant": SignedBinaryWeightPerTensorConst}
            layers.append(QuantConv2d(c_in, c_out, 3, padding=1, bias=False, **quant))
            layers.append(nn.BatchNorm2d(c_out))
            layers.append(
                QuantReLU(
                    act_quant=Uint8ActPerTensorFloatMaxInit, bit_width=spec.act_bits, max_val=2.0
                )
            )
            if pool == "2s2":
                layers.append(nn.MaxPool2d(2, 2))
            elif pool == "2s1pad":
                layers.extend([nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1)])
            c_in = c_out
        layers.append(
            QuantConv2d(
                c_in,
                spec.head_channels,
                1,
                bias=True,
                weight_quant=Int8WeightPerTensorFloat,
                weight_bit_width=8,
            )
        )
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.inp(x * (1.0 / 255.0)))


# Tinier-YOLO's stride-1 pool in a small net: does finn-plus compile that construct?
POOL_PROBE = NetSpec(size=32, widths=(16, 32, 32), pools=("2s2", "2s1pad", None), head_channels=8)


def random_pixels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """uint8-valued pixels stored as float32 (the network's input)."""
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype(np.float32)


def build_net(spec: NetSpec, seed: int = 0) -> TinyYoloLike:
    """Seeded random weights; batch-norm statistics taken from a random batch (eval mode)."""
    torch.manual_seed(seed)
    net = TinyYoloLike(spec)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.momentum = 1.0  # running stats = this batch's stats
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(random_pixels((2, 3, spec.size, spec.size), seed + 1)))
    net.eval()
    gen = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        for bn in bns:
            bn.weight.copy_(0.5 + torch.rand(bn.num_features, generator=gen))
            bn.bias.copy_(0.8 + 0.3 * torch.randn(bn.num_features, generator=gen))
    return net


def export_qonnx_file(spec: NetSpec, path: Path, seed: int = 0) -> Path:
    """Export the seeded net to a cleaned-up QONNX file at `path` (input 1x3xHxW)."""
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    net = build_net(spec, seed)
    x = torch.from_numpy(random_pixels((1, 3, spec.size, spec.size), seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    export_qonnx(net, x, export_path=str(path))
    model = cleanup_model(ModelWrapper(str(path))).transform(InferShapes())
    model.save(str(path))
    return path


def macs(spec: NetSpec) -> int:
    """Multiply-accumulates per frame (all convs), for the table's context."""
    total, size, c_in = 0, spec.size, 3
    for c_out, pool in zip(spec.widths, spec.pools, strict=True):
        total += size * size * c_in * c_out * 9
        size, c_in = (size // 2 if pool == "2s2" else size), c_out
    return total + size * size * c_in * spec.head_channels
