"""Darknet weights <-> torch parameters, so the cfg+weights stay the source of truth:
a model is built from them and its trained float parameters are written back to them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from qnnflow.frontend.darknet import load_network, read_weights, write_weights
from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.frontend.darknet.weights import ConvParams, DarknetWeights
from qnnflow.quant.qat.model import DarknetQatNet
from qnnflow.quant.qat.scheme import QatScheme


def _set(param: torch.Tensor, value: np.ndarray) -> None:
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.asarray(value, dtype=np.float32).copy()))


def load_darknet_params(model: DarknetQatNet, weights: DarknetWeights) -> None:
    """Copy every conv's biases, batch-norm statistics and OIHW weights into `model`."""
    for block in model.conv_blocks():
        params = weights.layers[block.index]
        _set(block.conv.weight, params.weights)
        if block.bn is None:
            _set(block.conv.bias, params.biases)
            continue
        _set(block.bn.weight, params.scales)
        _set(block.bn.bias, params.biases)
        _set(block.bn.running_mean, params.rolling_mean)
        _set(block.bn.running_var, params.rolling_variance)


def darknet_params(model: DarknetQatNet, seen: int = 0) -> DarknetWeights:
    """The model's float (latent) parameters as Darknet weights (file version 0.2)."""
    out = DarknetWeights(major=0, minor=2, revision=0, seen=int(seen))

    def arr(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float32).copy()

    for block in model.conv_blocks():
        w = arr(block.conv.weight)
        if block.bn is None:
            out.layers[block.index] = ConvParams(arr(block.conv.bias), w)
        else:
            bn = block.bn
            out.layers[block.index] = ConvParams(
                arr(bn.bias), w, arr(bn.weight), arr(bn.running_mean), arr(bn.running_var)
            )
    return out


def build_from_darknet(
    cfg: str | Path,
    weights: str | Path | None,
    scheme: QatScheme,
    act_max: dict[int, float] | None = None,
    seed: int = 0,
) -> tuple[DarknetNetwork, DarknetQatNet]:
    """Parse the cfg, build the model, load the weights (seeded random ones when None)."""
    network = load_network(cfg)
    params = (
        read_weights(weights, network) if weights is not None else random_weights(network, seed)
    )
    model = DarknetQatNet(network, scheme, act_max)
    load_darknet_params(model, params)
    return network, model


def save_darknet(
    model: DarknetQatNet, cfg_src: str | Path, out_dir: str | Path, name: str, seen: int = 0
) -> tuple[Path, Path]:
    """Write OUT/<name>.cfg (a copy of the source cfg) and OUT/<name>.weights."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path, weights_path = out / f"{name}.cfg", out / f"{name}.weights"
    text = Path(cfg_src).read_text()
    if Path(cfg_src).resolve() != cfg_path.resolve():
        cfg_path.write_text(text)
    write_weights(weights_path, darknet_params(model, seen), model.network)
    return cfg_path, weights_path
