"""Entropy (KL) activation calibration, which Brevitas lacks.

While Brevitas' calibration pass runs, a hook on every activation quantizer gathers the values
it sees; afterwards each quantizer's threshold is set to the KL-optimal clip of
`qnnflow.quant.calibration` (the same search the Darknet W1A3 path uses). Quantizers that share
one scale (the inputs of an add) get one clip from their pooled values.
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


class EntropyCalibration:
    """Collects activation values during calibration, then sets KL-optimal thresholds."""

    def __init__(self, qmodule: nn.Module, budget: int = 1_000_000):
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
            result = calibrate(
                collector.samples(), "entropy", int(proxy.bit_width()), bool(proxy.is_signed)
            )
            _set_threshold(_scaling_impl(proxy), result.high)


def _collect_into(collector: RangeCollector):
    def hook(_module, args):
        collector.update(args[0].detach().cpu().numpy())

    return hook


def _set_threshold(impl: nn.Module, clip: float) -> None:
    """The scale parameter holds the (pre-restriction) threshold: write the clip there."""
    with torch.no_grad():
        target = torch.full_like(impl.value, clip)
        impl.value.copy_(impl.restrict_scaling_pre(target))
