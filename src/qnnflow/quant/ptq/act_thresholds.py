"""Activation thresholds over the whole calibration set: minmax, percentile, entropy (KL).

Brevitas averages a per-batch statistic over the batches (so "minmax" still clips) and has no
entropy method. While its calibration pass runs, a hook on every symmetric activation
quantizer gathers the values it sees; afterwards each threshold is set by
`qnnflow.quant.calibration` (the search the Darknet W1A3 path uses): the true extreme, the
percentile, or the KL-optimal clip. Quantizers that share one scale (the inputs of an add) get
one threshold from their pooled values. MSE stays Brevitas' own (a local-loss search).
"""

from __future__ import annotations

import torch
from torch import nn

from qnnflow.quant.calibration import RangeCollector, calibrate


def act_quantizers(qmodule: nn.Module) -> dict[str, nn.Module]:
    """Module name -> activation quant proxy, for every enabled integer activation quantizer."""
    found = {}
    for name, module in qmodule.named_modules():
        proxy = getattr(module, "act_quant", None)
        fused = getattr(proxy, "fused_activation_quant_proxy", None)
        if fused is not None and proxy.is_quant_enabled and int(proxy.bit_width()) > 1:
            found[name] = proxy
    return found


def _scaling_impl(proxy: nn.Module) -> nn.Module:
    return proxy.fused_activation_quant_proxy.tensor_quant.scaling_impl


class ActThresholdCalibration:
    """Collects activation values during calibration, then sets the method's thresholds."""

    def __init__(self, qmodule: nn.Module, method: str, percentile: float, budget: int = 1_000_000):
        self.method, self.percentile = method, percentile
        self.groups: dict[int, tuple[list[nn.Module], RangeCollector]] = {}
        self.handles = []
        for proxy in act_quantizers(qmodule).values():
            impl = _scaling_impl(proxy)
            proxies, collector = self.groups.setdefault(id(impl), ([], RangeCollector(budget)))
            proxies.append(proxy)
            hook = _collect_into(collector)
            tensor_quant = proxy.fused_activation_quant_proxy.tensor_quant
            self.handles.append(tensor_quant.register_forward_pre_hook(hook))

    def finish(self) -> None:
        """Remove the hooks and write each group's clip into its (shared) scale parameter."""
        for handle in self.handles:
            handle.remove()
        for proxies, collector in self.groups.values():
            if not collector.parts:
                continue
            proxy = proxies[0]
            bits, signed = int(proxy.bit_width()), bool(proxy.is_signed)
            if self.method == "minmax":  # exact, not from the subsample
                high = max(collector.max, -collector.min) if signed else max(collector.max, 0.0)
            else:
                samples = collector.samples()
                high = calibrate(samples, self.method, bits, signed, self.percentile).high
            _set_threshold(_scaling_impl(proxy), max(high, 1e-10))


def _collect_into(collector: RangeCollector):
    def hook(_module, args):
        collector.update(args[0].detach().cpu().numpy())

    return hook


def _set_threshold(impl: nn.Module, clip: float) -> None:
    """The scale parameter holds the (pre-restriction) threshold: write the clip there."""
    with torch.no_grad():
        target = torch.full_like(impl.value, clip)
        impl.value.copy_(impl.restrict_scaling_pre(target))
