"""Small seeded random-weight Brevitas CNNs (W1A3, W2A2, W4A4, W1A1), exported to QONNX for
tests.

Each net takes uint8-valued pixels (0..255 stored as float), divides by 255 in the graph,
quantizes the input to 8 bits, then runs conv -> BatchNorm -> quantized ReLU blocks with
max-pools between them. The first conv has 8-bit weights; hidden convs use the variant's
weight quantizer (binary = BipolarQuant). BatchNorm statistics are set from a calibration
batch and then perturbed; channel 0 of every BatchNorm gets a negative gamma. act_bits=1 is
a bnn_pynq CNV-like W1A1 net: sign activations (QuantIdentity with
SignedBinaryActPerTensorConst, exported as BipolarQuant), binary weights in every conv
(the first too, as CNV), unpadded convs (CNV pads none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from brevitas.nn import QuantConv2d, QuantIdentity, QuantReLU
from brevitas.quant import (
    Int8ActPerTensorFloatMinMaxInit,
    Int8WeightPerChannelFloat,
    Int8WeightPerTensorFloat,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloatMaxInit,
)
from torch import nn

# pool kinds: "2s2" = MaxPool(2, stride 2); "2s2ceil" = same with ceil_mode (odd sizes);
# "2s1pad" = ZeroPad2d right/bottom by one, then MaxPool(2, stride 1): size is kept.
POOLS = ("2s2", "2s2ceil", "2s1pad", None)


@dataclass(frozen=True)
class Spec:
    """One test network: channels per conv, pool after each conv, bit widths, input size."""

    name: str
    channels: tuple[int, ...]
    pools: tuple[str | None, ...]
    weight_bits: int  # hidden convs; 1 = binary (BipolarQuant)
    act_bits: int  # 1 = sign activations, binary weights everywhere, no conv padding
    size: int
    per_channel_weights: bool = False
    signed_input: bool = False
    kernels: tuple[int, ...] = field(default=())


SPECS = {
    "w1a3": Spec("w1a3", (3, 8, 16, 16), ("2s2", "2s1pad", None), 1, 3, 12),
    "w2a2": Spec(
        "w2a2", (3, 8, 16, 8), ("2s2ceil", "2s1pad", None), 2, 2, 11, per_channel_weights=True
    ),
    "w4a4": Spec(
        "w4a4",
        (3, 8, 16, 8),
        ("2s1pad", "2s2", None),
        4,
        4,
        12,
        signed_input=True,
        kernels=(3, 3, 1),
    ),
    "w1a1": Spec("w1a1", (3, 8, 16, 16), (None, "2s2", None), 1, 1, 12),
}


def _weight_quant(bits: int, per_channel: bool) -> dict:
    if bits == 1:
        return {"weight_quant": SignedBinaryWeightPerTensorConst}
    quant = Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat
    return {"weight_quant": quant, "weight_bit_width": bits}


def _activation(spec: Spec, i: int) -> nn.Module:
    if spec.act_bits == 1:
        return QuantIdentity(act_quant=SignedBinaryActPerTensorConst)
    return QuantReLU(
        act_quant=Uint8ActPerTensorFloatMaxInit, bit_width=spec.act_bits, max_val=1.5 + 0.5 * i
    )


def _pool(kind: str | None) -> list[nn.Module]:
    if kind == "2s2":
        return [nn.MaxPool2d(2, 2)]
    if kind == "2s2ceil":
        return [nn.MaxPool2d(2, 2, ceil_mode=True)]
    if kind == "2s1pad":
        return [nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1)]
    return []


class TinyCNN(nn.Module):
    """uint8 pixels -> /255 -> 8-bit input quant -> [QuantConv, BN, QuantReLU, pool] * n."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        if spec.signed_input:
            self.inp = QuantIdentity(
                act_quant=Int8ActPerTensorFloatMinMaxInit, min_val=-1.0, max_val=1.0
            )
        else:
            self.inp = QuantIdentity(act_quant=Uint8ActPerTensorFloatMaxInit, max_val=1.0)
        layers: list[nn.Module] = []
        kernels = spec.kernels or (3,) * (len(spec.channels) - 1)
        for i, (c_in, c_out) in enumerate(zip(spec.channels, spec.channels[1:], strict=False)):
            wq = (
                _weight_quant(8, False)
                if i == 0
                else _weight_quant(spec.weight_bits, spec.per_channel_weights)
            )
            k = kernels[i]
            bipolar = spec.act_bits == 1
            if bipolar:
                wq = _weight_quant(1, False)
            padding = 0 if bipolar else k // 2
            layers.append(QuantConv2d(c_in, c_out, k, padding=padding, bias=False, **wq))
            layers.append(nn.BatchNorm2d(c_out))
            layers.append(_activation(spec, i))
            layers.extend(_pool(spec.pools[i]))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.inp(x * (1.0 / 255.0)))


def random_pixels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """uint8-valued pixels as float32, the nets' input."""
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype(np.float32)


def _set_batchnorm_stats(net: TinyCNN, spec: Spec, seed: int) -> None:
    """Running stats from a calibration batch (perturbed), random affine, gamma[0] < 0."""
    gen = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.momentum = 1.0
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(random_pixels((8, 3, spec.size, spec.size), seed + 2)))
    net.eval()
    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.running_mean += 0.2 * torch.randn(c, generator=gen) * bn.running_var.sqrt()
            bn.running_var *= 0.5 + 1.5 * torch.rand(c, generator=gen)
            gamma = 0.5 + torch.rand(c, generator=gen)
            gamma[0] = -gamma[0]
            bn.weight.copy_(gamma)
            bn.bias.copy_(0.8 + 0.4 * torch.randn(c, generator=gen))


def build(spec: Spec, seed: int = 0) -> TinyCNN:
    """A seeded random-weight TinyCNN in eval mode."""
    torch.manual_seed(seed)
    net = TinyCNN(spec)
    _set_batchnorm_stats(net, spec, seed)
    return net


def export(spec: Spec, path: Path, seed: int = 0):
    """Export the seeded net to QONNX at `path`, clean it up and infer shapes;
    returns (ModelWrapper, net)."""
    from brevitas.export import export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    net = build(spec, seed)
    x = torch.from_numpy(random_pixels((1, 3, spec.size, spec.size), seed))
    export_qonnx(net, x, export_path=str(path))
    return cleanup_model(ModelWrapper(str(path))).transform(InferShapes()), net


_EXPORTED: dict[tuple[str, int], bytes] = {}


def exported(name: str, directory: Path, seed: int = 0):
    """export(SPECS[name]) into `directory`, once per test process: a fresh ModelWrapper."""
    from qonnx.core.modelwrapper import ModelWrapper

    key = (name, seed)
    if key not in _EXPORTED:
        model, _ = export(SPECS[name], directory / f"{name}_seed{seed}.onnx", seed)
        _EXPORTED[key] = model.model.SerializeToString()
    return ModelWrapper(_EXPORTED[key])
