"""FINN's own Brevitas test networks (brevitas_examples.bnn_pynq: the FC class behind
TFC/SFC/LFC and the CNV class), full size or shrunk, random-initialised and exported to QONNX.

Random initialisation leaves every BatchNorm at mean 0, variance 1, gamma 1, beta 0, which
would hide threshold-absorption bugs; `perturb_batchnorms` gives them seeded statistics
(one negative gamma per layer) first. The shrunk CNV is FINN's class with smaller module
constants (channels, FC widths) on a 14x14 input, so it keeps CNV's structure: an 8-bit
signed input quantizer, unpadded 3x3 convs, max-pools, a flatten of a 1x1 map, FCs and a
TensorNorm at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

PRECISIONS = ("1w1a", "1w2a", "2w2a")
FULL_NETWORKS = [
    f"{net}_{q}"
    for net in ("tfc", "sfc", "lfc", "cnv")
    for q in PRECISIONS
    if (net, q) != ("lfc", "2w2a")  # bnn_pynq offers no LFC-W2A2
]
SMALL_CNV_LAYOUT = {
    "CNV_OUT_CH_POOL": [(8, False), (8, True), (16, False), (16, False)],
    "INTERMEDIATE_FC_FEATURES": [(16, 16)],
    "LAST_FC_IN_FEATURES": 16,
}
SMALL_CNV_SIZE = 14  # 14 -> 12 -> 10 -> pool 5 -> 3 -> 1
SMALL_FC_SIZE = 8


def _bits(precision: str) -> tuple[int, int]:
    weight_bits, act_bits = precision.split("w")
    return int(weight_bits), int(act_bits.rstrip("a"))


@contextlib.contextmanager
def _module_constants(module, values: dict) -> Iterator[None]:
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def perturb_batchnorms(model: nn.Module, seed: int) -> None:
    """Seeded BatchNorm statistics and affine parameters, channel 0 with a negative gamma."""
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 2.0)
            module.running_var.copy_(torch.rand(n, generator=gen) * 4.0 + 0.5)
            gamma = torch.rand(n, generator=gen) + 0.5
            gamma[0] = -gamma[0]
            module.weight.data.copy_(gamma)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.5)


def small_network(net: str, precision: str, seed: int = 0) -> tuple[nn.Module, tuple]:
    """FINN's FC (two hidden layers of 16 on an 8x8 input) or shrunk CNV, and its input shape."""
    from brevitas_examples.bnn_pynq.models import CNV as cnv_module
    from brevitas_examples.bnn_pynq.models.FC import FC

    weight_bits, act_bits = _bits(precision)
    torch.manual_seed(seed)
    if net == "tfc":
        size = SMALL_FC_SIZE
        model = FC(10, weight_bits, act_bits, act_bits, 1, [16, 16], (size, size))
        shape = (1, 1, size, size)
    elif net == "cnv":
        with _module_constants(cnv_module, SMALL_CNV_LAYOUT):
            model = cnv_module.CNV(10, weight_bits, act_bits, 8, 3)
        shape = (1, 3, SMALL_CNV_SIZE, SMALL_CNV_SIZE)
    else:
        raise ValueError(f"no small variant of {net}")
    perturb_batchnorms(model, seed)
    return model.eval(), shape


def full_network(name: str, seed: int = 0) -> tuple[nn.Module, tuple]:
    """bnn_pynq's `model_with_cfg(name)` untrained, with perturbed BatchNorms."""
    from brevitas_examples.bnn_pynq.models import model_with_cfg

    torch.manual_seed(seed)
    model, _ = model_with_cfg(name, pretrained=False)
    perturb_batchnorms(model, seed)
    shape = (1, 3, 32, 32) if name.startswith("cnv") else (1, 1, 28, 28)
    return model.eval(), shape


def export(model: nn.Module, shape: tuple, path: Path) -> Path:
    """QONNX export (brevitas.export.export_qonnx) of `model` for one input of `shape`."""
    from brevitas.export import export_qonnx

    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        export_qonnx(model, torch.rand(shape), str(path))
    return path
