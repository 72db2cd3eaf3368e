"""Re-bit the identity quantizers Brevitas inserts (network input, layer outputs, network output).

Brevitas builds every inserted QuantIdentity from one map entry, so the input, a layer's own
output requantizer and the final output all get the scheme's act bits; these helpers swap in
a fresh (not yet calibrated) identity of the wanted bits where the options or a rule say so.
"""

from __future__ import annotations

from torch import fx, nn

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.layer_maps import identity_entry
from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.options import PTQOptions


def _bits(module: nn.Module) -> int:
    return int(module.act_quant.bit_width())


def _set_module(gm: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, leaf = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, leaf, module)


def _quantizer_user(gm: fx.GraphModule, node: fx.Node) -> fx.Node | None:
    """The activation quantizer that alone reads `node`, if any."""
    if len(node.users) != 1:
        return None
    user = next(iter(node.users))
    if user.op == "call_module" and hasattr(gm.get_submodule(str(user.target)), "act_quant"):
        return user
    return None


def _rebit_identity(gm: fx.GraphModule, node: fx.Node, options: PTQOptions, bits: int) -> None:
    old = gm.get_submodule(str(node.target))
    if _bits(old) == bits:
        return
    if not isinstance(old, nn.Module) or type(old).__name__ != "QuantIdentity":
        raise QnnflowError(f"'{node.target}' is a {type(old).__name__}, not a requantizer")
    sites = [n for n in gm.graph.nodes if n.op == "call_module" and n.target == node.target]
    if len(sites) > 1:
        raise QnnflowError(
            f"'{node.target}' requantizes {len(sites)} branches that meet in an add or concat; "
            "they share one quantizer, so give the layers feeding it the same act_bits"
        )
    cls, kwargs = identity_entry(options, bits, bits == 1 or bool(old.act_quant.is_signed))
    new = cls(**dict(kwargs, return_quant_tensor=old.return_quant_tensor))
    _set_module(gm, str(node.target), new)


def set_input_bits(gm: fx.GraphModule, options: PTQOptions) -> None:
    """The network input's quantizer at `options.input_bits` (signed)."""
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            user = _quantizer_user(gm, node)
            if user is not None:
                _rebit_identity(gm, user, options, options.input_bits)


def set_layer_output_bits(gm: fx.GraphModule, name: str, options: PTQOptions, bits: int) -> None:
    """A rule's act_bits on the quantizer of that layer's output."""
    node = next(n for n in gm.graph.nodes if n.op == "call_module" and n.target == name)
    user = _quantizer_user(gm, node)
    if user is None:
        raise QnnflowError(
            f"layer '{name}': its output has no quantizer of its own to take act_bits "
            f"(it feeds {', '.join(str(u) for u in node.users)})"
        )
    if _bits(gm.get_submodule(str(user.target))) != bits:
        _rebit_identity(gm, user, options, bits)


def set_network_output_bits(
    gm: fx.GraphModule, options: PTQOptions, rules: dict[str, LayerRule]
) -> None:
    """Each network output's final requantizer at `options.output_bits`, or removed (float
    output) when None; a detector with two heads has two.

    A final ReLU keeps its act bits; a rule's act_bits on the last layer wins."""
    output = next(n for n in gm.graph.nodes if n.op == "output")
    results = output.args[0]
    for last in results if isinstance(results, (tuple, list)) else (results,):
        _set_output_bits(gm, last, options, rules)
    gm.recompile()


def _set_output_bits(gm: fx.GraphModule, last, options: PTQOptions, rules) -> None:
    if getattr(last, "op", None) != "call_module":  # Brevitas' fx Node is not torch.fx's
        return
    module = gm.get_submodule(str(last.target))
    if type(module).__name__ != "QuantIdentity" or len(last.args) != 1:
        return
    producer = last.args[0]
    rule = rules.get(str(getattr(producer, "target", "")))
    if rule is not None and rule.act_bits is not None:
        return
    if options.output_bits is not None:
        _rebit_identity(gm, last, options, options.output_bits)
        return
    last.replace_all_uses_with(producer)
    gm.graph.erase_node(last)
    gm.delete_submodule(str(last.target))
    if getattr(producer, "op", None) == "call_module":
        owner = gm.get_submodule(str(producer.target))
        if hasattr(owner, "return_quant_tensor"):
            owner.return_quant_tensor = False
