"""The MatrixVectorUnit a weight layer (conv or fully connected) becomes, decided in one
place for every conversion: datatypes, fused thresholds and attributes from the integer
weight matrix, the input datatype and the MultiThreshold after the layer (or none, when the
accumulator itself leaves the layer)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import integer_datatype
from qnnflow.util.names import new_tensor_name


def weight_datatype(weights: np.ndarray) -> DataType:
    """Smallest qonnx datatype of integer weights; BIPOLAR for +-1 only."""
    if np.isin(weights, (-1, 1)).all():
        return DataType["BIPOLAR"]
    low, high = int(weights.min()), int(weights.max())
    for bits in range(2, 33):
        dtype = DataType[f"INT{bits}"]
        if dtype.min() <= low and high <= dtype.max():
            return dtype
    raise ValueError("weights exceed 32 bits")


def accumulator_datatype(weights: np.ndarray, idt: DataType) -> DataType:
    """The smallest datatype holding every accumulator inputs of `idt` can produce."""
    w = np.asarray(weights, dtype=np.float64)
    ends = np.stack([w * float(idt.min()), w * float(idt.max())])
    low, high = ends.min(axis=0).sum(axis=0).min(), ends.max(axis=0).sum(axis=0).max()
    return integer_datatype(np.array([low, high]), bipolar=False)


@dataclass(frozen=True)
class MVUParams:
    """A MatrixVectorUnit's constant inputs and attributes (all but its folding and
    numInputVectors, which depend on where it sits)."""

    weights: np.ndarray  # [MW, MH] integers
    thresholds: np.ndarray | None  # [MH, T] integers; None: the accumulator is the output
    attrs: dict


def mvu_params(
    model: ModelWrapper, weights: np.ndarray, idt: DataType | None, mt: NodeProto | None
) -> MVUParams | None:
    """The MatrixVectorUnit computing `mt(x @ weights)` (or `x @ weights` when `mt` is None)
    for x of datatype `idt`; None when it cannot: non-integer weights or input, bipolar
    input, thresholds that are not constant, out_scale != 1 or a non-integer out_bias."""
    if idt is None or not idt.is_integer() or idt == DataType["BIPOLAR"]:
        return None
    if np.any(weights != np.round(weights)):
        return None
    mw, mh = weights.shape
    wdt = weight_datatype(weights)
    attrs = {"MW": mw, "MH": mh, "weightDataType": wdt.name, "inputDataType": idt.name}
    if mt is None:
        odt = accumulator_datatype(weights, idt)
        return MVUParams(weights, None, {**attrs, "numThresholds": 0, "outputDataType": odt.name})
    thresholds = model.get_initializer(mt.input[1])
    op = getCustomOp(mt)
    bias = op.get_nodeattr("out_bias")
    if thresholds is None or op.get_nodeattr("out_scale") != 1.0 or bias != int(bias):
        return None
    # acc is an integer, so acc >= t  <=>  acc >= ceil(t); one row per output channel
    rows = np.broadcast_to(np.ceil(thresholds), (mh, thresholds.shape[1]))
    attrs.update(
        numThresholds=int(thresholds.shape[1]),
        ActVal=int(bias),
        outputDataType=op.get_nodeattr("out_dtype"),
    )
    return MVUParams(weights, np.ascontiguousarray(rows, dtype=np.float32), attrs)


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
