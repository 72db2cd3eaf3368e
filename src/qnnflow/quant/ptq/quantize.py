"""Float GraphModule -> Brevitas quantized GraphModule (per options and per-layer rules), and
its calibration on sample batches."""

from __future__ import annotations

import copy

import torch
from brevitas.graph.calibrate import calibration_mode
from brevitas.graph.quantize import preprocess_for_quantize, quantize
from brevitas.graph.standardize import TorchFunctionalToModule
from torch import fx, nn

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.act_thresholds import ActThresholdCalibration
from qnnflow.quant.ptq.float_model import FloatModel
from qnnflow.quant.ptq.layer_maps import QUANT_LAYER, build_layer_maps
from qnnflow.quant.ptq.mixed import LayerRule, resolve_rules
from qnnflow.quant.ptq.options import PTQOptions
from qnnflow.quant.ptq.requant import (
    set_input_bits,
    set_layer_output_bits,
    set_network_output_bits,
)
from qnnflow.util import progress

# Brevitas turns F.relu into an nn.ReLU module but not torch.relu: left a function, its input
# gets a signed requantizer of its own and the ReLU output a second one
TORCH_FUNCTIONS = ((torch.relu, nn.ReLU), (torch.relu_, nn.ReLU))


def _prepared(fm: FloatModel) -> fx.GraphModule:
    """A copy retraced by Brevitas' own fx (its passes need its Node class), BN merged,
    torch.relu calls made modules (so they quantize as F.relu and nn.ReLU do)."""
    module = copy.deepcopy(fm.module).eval()
    try:
        gm = preprocess_for_quantize(module, trace_model=True, equalize_iters=0)
        return TorchFunctionalToModule(TORCH_FUNCTIONS).apply(gm)
    except Exception as err:  # brevitas raises plain errors on graphs it cannot handle
        raise QnnflowError(f"{fm.name}: cannot prepare the graph for quantization ({err})") from err


def _compute_layers(gm: fx.GraphModule) -> list[str]:
    return [
        str(node.target)
        for node in gm.graph.nodes
        if node.op == "call_module" and type(gm.get_submodule(str(node.target))) in QUANT_LAYER
    ]


def layer_names(fm: FloatModel) -> list[str]:
    """The compute layers (conv, linear) a rule or the sensitivity table can name."""
    return _compute_layers(fm.module)


def quantize_float_model(fm: FloatModel, options: PTQOptions) -> nn.Module:
    """Brevitas fake-quantized copy of the model, not yet calibrated.

    The network input is quantized to `options.input_bits` (signed), every compute layer's
    weights per the options or its rule, every activation at the scheme's (or the rule's) act
    bits, the network output at `options.output_bits` (float when None)."""
    gm = _prepared(fm)
    names = _compute_layers(gm)
    if not names:
        raise QnnflowError(f"{fm.name}: no conv or linear layer to quantize")
    rules: dict[str, LayerRule] = resolve_rules(options.rules, names)
    maps = build_layer_maps(gm, options, rules)
    try:
        qmodel = quantize(
            gm,
            quant_identity_map=maps.identity,
            compute_layer_map=maps.compute,
            quant_act_map=maps.act,
        )
    except QnnflowError:
        raise
    except AttributeError as err:
        if "int_scaling_impl" not in str(err):
            raise QnnflowError(f"{fm.name}: Brevitas cannot quantize this graph ({err})") from err
        raise QnnflowError(
            f"{fm.name}: 1-bit activations cannot meet at an add or concat (their scales are "
            "aligned through an integer scaling a binary quantizer lacks); use act bits >= 2 there"
        ) from err
    except Exception as err:
        raise QnnflowError(f"{fm.name}: Brevitas cannot quantize this graph ({err})") from err
    finally:
        maps.restore(gm)
    set_input_bits(qmodel, options)
    for name, rule in rules.items():
        if rule.act_bits is not None and not rule.keep_float:
            set_layer_output_bits(qmodel, name, options, rule.act_bits)
    set_network_output_bits(qmodel, options, rules)
    qmodel.ptq_options = options  # calibrate() reads the method (entropy runs after Brevitas)
    return qmodel.eval()


def calibrate(qmodule: nn.Module, batches: list[torch.Tensor]) -> None:
    """Set every activation scale from the batches (the options' statistic), no gradients."""
    if not batches:
        raise QnnflowError("no calibration batches")
    options = getattr(qmodule, "ptq_options", None)
    thresholds = None
    if options is not None and options.act_symmetric and options.calib_method != "mse":
        thresholds = ActThresholdCalibration(qmodule, options.calib_method, options.percentile)
    qmodule.eval()
    try:
        with torch.no_grad(), calibration_mode(qmodule):
            for batch in progress.track(batches, "calibration, batches"):
                qmodule(batch)
    finally:
        if thresholds is not None:
            thresholds.finish()
    with torch.no_grad():  # one inference pass settles lazily built state (weight-MSE search)
        qmodule(batches[0][:1])
