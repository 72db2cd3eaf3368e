"""The one place that decides a MatrixVectorUnit's mode and datatypes from a layer's integer
weights, its input datatype and the MultiThreshold after it (conv and fully connected
conversions alike), including the threshold rewrite each mode needs:

- integer weights (BIPOLAR when all +-1) and an integer input: thresholds ceil(T) on the
  accumulator (acc is an integer, so acc >= T  <=>  acc >= ceil(T));
- XNOR mode, BIPOLAR input and weights: thresholds ceil((T + MW) / 2) on the popcount
  (qnnflow.ops.bipolar); without a MultiThreshold the output is x.W itself;
- a bipolar activation (MultiThreshold with one threshold, out_scale 2, out_bias -1,
  out_dtype BIPOLAR): a BIPOLAR output; otherwise out_scale must be 1 and out_bias is ActVal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.errors import QnnflowError
from qnnflow.ops import DOMAIN
from qnnflow.ops.bipolar import is_bipolar, popcount_thresholds
from qnnflow.ops.mvu import accumulator_range
from qnnflow.util.names import new_tensor_name


class NotConvertible(QnnflowError):
    """The layer stays on the host; the message says why."""


def weight_datatype(weights: np.ndarray) -> DataType:
    """Smallest qonnx datatype of integer weights; BIPOLAR for +-1 only."""
    if np.isin(weights, (-1, 1)).all():
        return DataType["BIPOLAR"]
    low, high = int(weights.min()), int(weights.max())
    for bits in range(2, 33):
        dtype = DataType[f"INT{bits}"]
        if dtype.min() <= low and high <= dtype.max():
            return dtype
    raise NotConvertible("weights exceed 32 bits")


def smallest_integer_type(low: int, high: int) -> DataType:
    """The narrowest INTn / UINTn holding [low, high] (an accumulator output)."""
    for bits in range(1, 65):
        names = [f"UINT{bits}"] if low >= 0 else []
        names += [f"INT{bits}"] if bits > 1 else []
        for name in names:
            dtype = DataType[name]
            if dtype.min() <= low and high <= dtype.max():
                return dtype
    raise NotConvertible(f"an accumulator range [{low}, {high}] exceeds 64 bits")


def threshold_encoding(mt, thresholds: np.ndarray) -> tuple[DataType, int]:
    """(outputDataType, ActVal) of the MultiThreshold's encoding, or NotConvertible."""
    op = getCustomOp(mt)
    scale, bias = op.get_nodeattr("out_scale"), op.get_nodeattr("out_bias")
    odt = DataType[op.get_nodeattr("out_dtype")]
    if is_bipolar(odt):
        if thresholds.shape[-1] != 1 or scale != 2.0 or bias != -1.0:
            raise NotConvertible(
                f"MultiThreshold '{mt.name}': a BIPOLAR output needs one threshold, out_scale 2 "
                f"and out_bias -1, got {thresholds.shape[-1]}, {scale:g}, {bias:g}"
            )
        return odt, 0
    if scale != 1.0 or bias != int(bias):
        raise NotConvertible(
            f"MultiThreshold '{mt.name}': out_scale {scale:g}, out_bias {bias:g} (only out_scale "
            "1 with an integer out_bias, or the bipolar 2 / -1)"
        )
    return odt, int(bias)


@dataclass(frozen=True)
class MVUParams:
    """A MatrixVectorUnit's constant inputs and attributes (all but its folding and
    numInputVectors, which depend on where it sits)."""

    weights: np.ndarray  # [MW, MH] integers
    thresholds: np.ndarray | None  # [MH, T] integers; None: the accumulator is the output
    attrs: dict


def mvu_params(
    model: ModelWrapper, weights: np.ndarray, idt: DataType | None, mt: NodeProto | None
) -> MVUParams:
    """weights [MW, MH] integers, the input datatype and the MultiThreshold node after the
    layer (or None) -> the MatrixVectorUnit's weights, thresholds in the accumulator's domain
    (None: the accumulator is the output) and attributes (MW, MH, inputDataType,
    weightDataType, outputDataType, numThresholds, ActVal). Raises NotConvertible (with the
    reason) for what the MatrixVectorUnit does not implement."""
    if idt is None:
        raise NotConvertible("input has no datatype (run InferDataTypes)")
    if not idt.is_integer():
        raise NotConvertible(f"input of type {idt.name} (integers only)")
    if np.any(weights != np.round(weights)):
        raise NotConvertible("weights are not integers")
    mw, mh = weights.shape
    wdt = weight_datatype(weights)
    xnor = is_bipolar(idt) and is_bipolar(wdt)
    if is_bipolar(idt) and not xnor:
        raise NotConvertible(f"BIPOLAR input with {wdt.name} weights (XNOR needs +-1 weights)")
    attrs = {"MW": mw, "MH": mh, "inputDataType": idt.name, "weightDataType": wdt.name}
    if mt is None:
        low, high = accumulator_range(weights, idt)
        odt = smallest_integer_type(low, high)
        attrs.update(outputDataType=odt.name, numThresholds=0, ActVal=0)
        return MVUParams(weights.astype(np.float32), None, attrs)
    raw = model.get_initializer(mt.input[1])
    if raw is None or raw.ndim != 2 or raw.shape[0] not in (1, mh):
        raise NotConvertible(f"MultiThreshold '{mt.name}': thresholds are not a [1 or MH, T] table")
    odt, act_val = threshold_encoding(mt, raw)
    rows = np.broadcast_to(raw, (mh, raw.shape[1]))
    thresholds = popcount_thresholds(rows, mw) if xnor else np.ceil(rows)
    attrs.update(outputDataType=odt.name, numThresholds=int(raw.shape[1]), ActVal=act_val)
    return MVUParams(
        weights.astype(np.float32), np.ascontiguousarray(thresholds, dtype=np.float32), attrs
    )


def make_mvu(
    model: ModelWrapper,
    params: MVUParams,
    x: str,
    name: str,
    vectors: list[int],
    output: str | None = None,
) -> tuple[NodeProto, str]:
    """The MatrixVectorUnit node reading `x` as `vectors` input vectors and writing `output`
    (default: a new tensor), its weight and threshold initializers added to `model`;
    returns (node, output tensor)."""
    w_name = new_tensor_name(model, f"{name}_W_hw")
    model.set_initializer(w_name, params.weights.astype(np.float32))
    model.set_tensor_datatype(w_name, DataType[params.attrs["weightDataType"]])
    inputs = [x, w_name]
    if params.thresholds is not None:
        t_name = new_tensor_name(model, f"{name}_T_hw")
        model.set_initializer(t_name, params.thresholds)
        model.set_tensor_datatype(t_name, DataType["INT32"])
        inputs.append(t_name)
    out = output or new_tensor_name(model, f"{name}_mvu_out")
    node = helper.make_node(
        "MatrixVectorUnit",
        inputs,
        [out],
        name=f"{name}_mvu",
        domain=DOMAIN,
        numInputVectors=list(vectors),
        **params.attrs,
    )
    model.set_tensor_shape(out, [*vectors, params.attrs["MH"]])
    model.set_tensor_datatype(out, DataType[params.attrs["outputDataType"]])
    return node, out


def fused_threshold_reason(
    model: ModelWrapper, mt: NodeProto, layer_types: tuple[str, ...], match: Callable
) -> str:
    """Why a MultiThreshold stayed on the host: it converts only fused with the weight layer
    of `layer_types` feeding it, which `match(model, layer)` (a reason string, or what the
    conversion takes) may have declined."""
    producer = model.find_producer(mt.input[0])
    if producer is not None and producer.op_type in layer_types:
        if isinstance(match(model, producer), str):
            return (
                f"fused with {producer.op_type} '{producer.name}', which stays on the host "
                "(see its reason)"
            )
    source = f"{producer.op_type} '{producer.name}'" if producer is not None else "a graph input"
    kinds = "/".join(layer_types)
    return f"only a MultiThreshold after a {kinds} converts (fused); its input comes from {source}"
