"""Brevitas layer maps for the options, with per-name precision through per-name classes.

Brevitas' `quantize` maps modules by type. A layer a rule names gets its own subclass of its
float type (swapped in before `quantize`, restored after), so the type map can hold that
layer's bits. A float rule wraps the layer (and the activation right after it) in `KeepFloat`,
a type no map knows, so Brevitas leaves both alone; the wrappers are removed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import brevitas.nn as qnn
from torch import fx, nn

from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.options import PTQOptions
from qnnflow.quant.ptq.quantizers import act_quantizer, bias_quantizer, weight_quantizer

QUANT_LAYER = {
    nn.Conv1d: qnn.QuantConv1d,
    nn.Conv2d: qnn.QuantConv2d,
    nn.ConvTranspose1d: qnn.QuantConvTranspose1d,
    nn.ConvTranspose2d: qnn.QuantConvTranspose2d,
    nn.Linear: qnn.QuantLinear,
}
ACTIVATIONS = (nn.ReLU,)


class KeepFloat(nn.Module):
    """Hides a layer from Brevitas' type maps while `quantize` runs."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


@dataclass
class LayerMaps:
    """The three maps Brevitas' `quantize` reads, and the classes swapped to restore later."""

    identity: dict
    compute: dict
    act: dict
    swapped: dict[nn.Module, type] = field(default_factory=dict)
    wrapped: list[str] = field(default_factory=list)

    def restore(self, gm: fx.GraphModule) -> None:
        """Undo the class swaps and unwrap the float layers (after `quantize`)."""
        for module, original in self.swapped.items():
            module.__class__ = original
        for name in self.wrapped:
            parent, _, leaf = name.rpartition(".")
            owner = gm.get_submodule(parent) if parent else gm
            setattr(owner, leaf, getattr(owner, leaf).inner)


def identity_entry(options: PTQOptions, bits: int, signed: bool) -> tuple:
    if options.act_sign != "auto":
        signed = options.act_sign == "signed"
    quant = act_quantizer(options, bits, signed)
    return qnn.QuantIdentity, {"act_quant": quant, "return_quant_tensor": True}


def _compute_entry(options: PTQOptions, cls: type, weight_bits: int) -> tuple:
    kwargs = {
        "weight_quant": weight_quantizer(options, weight_bits),
        "bias_quant": bias_quantizer(options),
        # an accumulator with a zero-point input is no integer tensor Brevitas can describe
        "return_quant_tensor": options.act_symmetric,
    }
    return QUANT_LAYER[cls], kwargs


def _act_entry(options: PTQOptions, act_bits: int) -> tuple:
    if act_bits == 1:  # 1-bit activations are a sign (bipolar), as in binarized networks
        return identity_entry(options, 1, True)
    signed = options.act_sign == "signed"
    quant = act_quantizer(options, act_bits, signed)
    return qnn.QuantReLU, {"act_quant": quant, "return_quant_tensor": True}


def _following_activation(gm: fx.GraphModule, node: fx.Node) -> fx.Node | None:
    """The ReLU node that alone reads this layer's output, if any."""
    if len(node.users) != 1:
        return None
    user = next(iter(node.users))
    if user.op != "call_module":
        return None
    return user if type(gm.get_submodule(str(user.target))) in ACTIVATIONS else None


def _wrap(gm: fx.GraphModule, name: str) -> None:
    parent, _, leaf = name.rpartition(".")
    owner = gm.get_submodule(parent) if parent else gm
    setattr(owner, leaf, KeepFloat(getattr(owner, leaf)))


def _own_class(maps: LayerMaps, module: nn.Module, tag: str) -> type:
    original = type(module)
    cls = type(f"{original.__name__}_{tag}", (original,), {})
    module.__class__ = cls
    maps.swapped[module] = original
    return cls


def build_layer_maps(
    gm: fx.GraphModule, options: PTQOptions, rules: dict[str, LayerRule]
) -> LayerMaps:
    """Maps for the global options; layers with a rule get per-name entries (swapped classes)."""
    bits = options.act_bits
    maps = LayerMaps(
        identity={
            "signed": identity_entry(options, bits, True),
            "unsigned": identity_entry(options, bits, bits == 1),
        },
        compute={cls: _compute_entry(options, cls, options.weight_bits) for cls in QUANT_LAYER},
        act={cls: _act_entry(options, bits) for cls in ACTIVATIONS},
    )
    for node in list(gm.graph.nodes):
        rule = rules.get(str(node.target)) if node.op == "call_module" else None
        if rule is None:
            continue
        act_node = _following_activation(gm, node)
        if rule.keep_float:
            for target in [str(node.target)] + ([str(act_node.target)] if act_node else []):
                _wrap(gm, target)
                maps.wrapped.append(target)
            continue
        tag = f"{len(maps.swapped)}"
        layer = gm.get_submodule(str(node.target))
        layer_cls = _own_class(maps, layer, tag)
        act = gm.get_submodule(str(act_node.target)) if act_node else None
        act_cls = _own_class(maps, act, tag) if act is not None else None
        weight_bits = rule.weight_bits or options.weight_bits
        maps.compute[layer_cls] = _compute_entry(options, maps.swapped[layer], weight_bits)
        if act_cls is not None:
            maps.act[act_cls] = _act_entry(options, rule.act_bits or bits)
    return maps
