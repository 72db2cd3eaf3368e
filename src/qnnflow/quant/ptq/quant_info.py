"""Every quantized tensor of a calibrated model, as Vitis AI's Quant_info.json lists them:
bits, signedness, narrow range, scale, zero point, the statistic that set the scale, and the
fraction of values clipped (weights and biases as stored, activations over the batches)."""

from __future__ import annotations

import torch
from torch import nn

from qnnflow.quant.ptq.act_thresholds import act_quantizers


def _values(t: torch.Tensor) -> float | list[float]:
    flat = t.detach().flatten().double()
    return float(flat[0]) if flat.numel() == 1 else [float(v) for v in flat]


def _int_range(bits: int, signed: bool, narrow: bool) -> tuple[float, float]:
    if bits == 1:  # binary: sign(x) * scale
        return -1.0, 1.0
    if signed:
        return -(2.0 ** (bits - 1)) + (1 if narrow else 0), 2.0 ** (bits - 1) - 1
    return 0.0, 2.0**bits - 1


def _clipped(x: torch.Tensor, scale, zero_point, bits: int, signed: bool, narrow: bool) -> float:
    """Fraction of x whose code x / scale + zero_point falls outside the integer range."""
    low, high = _int_range(bits, signed, narrow)
    codes = x.detach().double() / scale.detach().double() + zero_point.detach().double()
    outside = (codes < low - 0.5) | (codes > high + 0.5)
    return float(outside.double().mean()) if codes.numel() else 0.0


def _entry(name: str, layer: str, kind: str, quant, statistic: str, clipped: float) -> dict:
    bits, signed = int(quant.bit_width), bool(quant.signed)
    return {
        "name": name,
        "layer": layer,
        "tensor": kind,
        "bits": bits,
        "signed": signed,
        "bipolar": bits == 1,
        "scale": _values(quant.scale),
        "zero_point": _values(quant.zero_point),
        "statistic": statistic,
        "clipped_fraction": clipped,
    }


def _weight_statistic(options, bits: int) -> str:
    if bits == 1:
        return "mean|w|"
    return "mse" if options is not None and options.calib_method == "mse" else "max|w|"


def _act_statistic(options, bits: int) -> str:
    if bits == 1:
        return "mean|x|"
    if options is None:
        return "unknown"
    if options.calib_method == "percentile":
        return f"percentile {options.percentile}"
    return options.calib_method


def _layer_inputs(qmodule: nn.Module, batch: torch.Tensor) -> dict[str, object]:
    """The (quantized) input each weight layer sees on one batch: biases are at its scale."""
    seen: dict[str, object] = {}

    def keep(name: str):
        def hook(_module, args) -> None:  # a pre-hook returning a value would replace the args
            seen.setdefault(name, args[0])

        return hook

    handles = [
        module.register_forward_pre_hook(keep(name))
        for name, module in qmodule.named_modules()
        if getattr(module, "weight_quant", None) is not None
    ]
    try:
        with torch.no_grad():
            qmodule(batch)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def _parameter_entries(qmodule: nn.Module, batch: torch.Tensor, options) -> list[dict]:
    entries = []
    inputs = _layer_inputs(qmodule, batch)
    for name, module in qmodule.named_modules():
        proxy = getattr(module, "weight_quant", None)
        if proxy is None or not proxy.is_quant_enabled:
            continue
        with torch.no_grad():
            qw = module.quant_weight()
        narrow = bool(proxy.is_narrow_range)
        clipped = _clipped(
            module.weight, qw.scale, qw.zero_point, int(qw.bit_width), bool(qw.signed), narrow
        )
        entry = _entry(
            f"{name}.weight",
            name,
            "weight",
            qw,
            _weight_statistic(options, int(qw.bit_width)),
            clipped,
        )
        entries.append(dict(entry, narrow=narrow))
        bias_proxy = getattr(module, "bias_quant", None)
        if module.bias is None or bias_proxy is None or not bias_proxy.is_quant_enabled:
            continue
        with torch.no_grad():
            qb = module.bias_quant(module.bias, inputs.get(name), qw)
        clipped = _clipped(module.bias, qb.scale, qb.zero_point, int(qb.bit_width), True, False)
        entry = _entry(f"{name}.bias", name, "bias", qb, "input scale x weight scale", clipped)
        entries.append(dict(entry, narrow=False))
    return entries


def _activation_entries(qmodule: nn.Module, batches, options) -> list[dict]:
    proxies = act_quantizers(qmodule)
    binary = {
        name: module.act_quant
        for name, module in qmodule.named_modules()
        if getattr(module, "act_quant", None) is not None
        and module.act_quant.is_quant_enabled
        and name not in proxies
    }
    proxies.update(binary)
    seen: dict[str, list[torch.Tensor]] = {name: [] for name in proxies}

    def keep(name: str):
        def hook(_module, args) -> None:
            seen[name].append(args[0].detach())

        return hook

    handles = [
        proxy.fused_activation_quant_proxy.tensor_quant.register_forward_pre_hook(keep(name))
        for name, proxy in proxies.items()
    ]
    try:
        with torch.no_grad():
            for batch in batches:
                qmodule(batch)
    finally:
        for handle in handles:
            handle.remove()
    entries = []
    for name, proxy in sorted(proxies.items()):
        with torch.no_grad():
            scale, zero_point = proxy.scale(), proxy.zero_point()
            bits, signed = int(proxy.bit_width()), bool(proxy.is_signed)
        narrow = bool(proxy.is_narrow_range)
        values = torch.cat([v.flatten() for v in seen[name]]) if seen[name] else torch.zeros(0)
        clipped = _clipped(values, scale, zero_point, bits, signed, narrow)
        quant = _Quant(scale, zero_point, bits, signed)
        entries.append(
            dict(
                _entry(
                    f"{name}.output", name, "output", quant, _act_statistic(options, bits), clipped
                ),
                narrow=narrow,
            )
        )
    return entries


class _Quant:
    """The four fields a QuantTensor carries, for an activation quantizer read directly."""

    def __init__(self, scale, zero_point, bits, signed):
        self.scale, self.zero_point = scale, zero_point
        self.bit_width, self.signed = torch.tensor(bits), signed


def quant_info(qmodule: nn.Module, batches: list[torch.Tensor]) -> dict:
    """JSON-able record of every quantized tensor (weights, biases, activation outputs)."""
    options = getattr(qmodule, "ptq_options", None)
    qmodule.eval()
    tensors = _parameter_entries(qmodule, batches[0], options)
    tensors += _activation_entries(qmodule, batches, options)
    return {
        "calibration_batches": len(batches),
        "calibration_samples": int(sum(b.shape[0] for b in batches)),
        "tensors": tensors,
    }
