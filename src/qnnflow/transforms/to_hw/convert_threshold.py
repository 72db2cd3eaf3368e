"""A MultiThreshold on its own (no Conv/Gemm to fuse with, e.g. the ReLU requantizer after a
residual Add) on an integer hardware stream becomes a Thresholding op:

    hw [1,H,W,C] -> Transpose(to NCHW) -> MultiThreshold(T)
==> hw -> Transpose(to NHWC) -> Thresholding(ceil T) -> Transpose(to NCHW)  (pairs cancel)
    hw [1,C] -> MultiThreshold(T)  ==>  hw -> Thresholding(ceil T)
    hw [1,1,1,C] (-> Transpose) -> Flatten -> MultiThreshold(T)  ==>  hw -> Thresholding

(a 1x1 map flattened is its channel vector in stream order). The input must already be a
hardware stream, so this runs after every other conversion; the activation encoding
(out_scale 1 and an integer out_bias, or the bipolar 2 / -1) is mvu_params'."""

from __future__ import annotations

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import attr, channel_axis, sole_consumer
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.transforms.to_hw.mvu_params import NotConvertible, threshold_encoding
from qnnflow.util.names import new_tensor_name


def _is_hw(node: NodeProto | None) -> bool:
    return node is not None and node.domain == DOMAIN


def _to_nchw_of_hw(model: ModelWrapper, node: NodeProto | None) -> bool:
    """True for a Transpose(to NCHW) of a hardware stream."""
    return (
        node is not None
        and node.op_type == "Transpose"
        and list(attr(node, "perm", [])) == TO_NCHW
        and _is_hw(model.find_producer(node.input[0]))
    )


def _source(model: ModelWrapper, mt: NodeProto) -> tuple[str, str, list[NodeProto]] | str:
    """(layout 'nchw' or 'vector', the tensor the op reads, nodes it bypasses), else why the
    input is not a hardware stream this conversion reads."""
    x = mt.input[0]
    shape = model.get_tensor_shape(x)
    producer = model.find_producer(x)
    if producer is None:
        return f"its input '{x}' is a graph input, not a hardware stream"
    if shape is not None and len(shape) == 4 and _to_nchw_of_hw(model, producer):
        return "nchw", x, []
    if shape is None or len(shape) not in (2, 4) or shape[0] != 1:
        return f"its input '{x}' has shape {shape}, neither [1, C] nor NCHW [1, C, H, W]"
    vector = len(shape) == 2
    if vector and _is_hw(producer):
        return "vector", x, []
    flatten = producer.op_type in ("Flatten", "Reshape")
    if vector and flatten and sole_consumer(model, x) is not None:
        inner = model.find_producer(producer.input[0])
        in_shape = model.get_tensor_shape(producer.input[0]) or []
        one_pixel = len(in_shape) == 4 and int(np.prod(in_shape)) == shape[1]
        if one_pixel and in_shape[-1] == shape[1] and _is_hw(inner):  # NHWC [1, 1, 1, C]
            return "vector", producer.input[0], [producer]
        if one_pixel and in_shape[1] == shape[1] and _to_nchw_of_hw(model, inner):
            return "vector", inner.input[0], [producer, inner]  # [1, C, 1, 1] of NHWC
    kind = f"{producer.op_type} '{producer.name}'"
    return f"its input '{x}' comes from {kind}, not from a hardware stream"


def _match(model: ModelWrapper, mt: NodeProto) -> tuple | str:
    """(layout, source, bypassed nodes, thresholds [C, T], output type, ActVal), else why
    the MultiThreshold stays on the host."""
    idt = model.get_tensor_datatype(mt.input[0])
    if idt is None or not idt.is_integer():
        return f"input datatype {idt.name if idt else 'untyped'} is not integer"
    if channel_axis(mt) != 1:
        return "data_layout is not NCHW/NC (channels on axis 1)"
    shape = model.get_tensor_shape(mt.input[0])
    raw = model.get_initializer(mt.input[1])
    channels = shape[1] if shape else 0
    if raw is None or raw.ndim != 2 or raw.shape[0] not in (1, channels):
        return f"thresholds are not a constant [1 or {channels}, T] table"
    try:
        odt, act_val = threshold_encoding(mt, raw)
    except NotConvertible as why:
        return str(why)
    source = _source(model, mt)
    if isinstance(source, str):
        return source
    rows = np.ceil(np.broadcast_to(np.asarray(raw, dtype=np.float64), (channels, raw.shape[1])))
    return (*source, rows.astype(np.float32), odt, act_val)


class ConvertThresholdToHW(Transformation):
    ORDER = 60  # after every conversion that makes the streams it reads
    OP_TYPES = ("MultiThreshold",)

    @staticmethod
    def decline_reason(model: ModelWrapper, node) -> str | None:
        match = _match(model, node)
        return match if isinstance(match, str) else None

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("MultiThreshold",), _match)
        for mt, match in matches:
            self._convert(model, mt, *match)
        return model, bool(matches)

    @staticmethod
    def _convert(model, mt, layout, source, bypassed, thresholds, odt, act_val) -> None:
        name = mt.name or mt.output[0]
        idt = model.get_tensor_datatype(mt.input[0])
        shape = model.get_tensor_shape(mt.input[0])
        nodes = []
        if layout == "nchw":
            pre, source = transpose(model, source, TO_NHWC, f"{name}_to_nhwc")
            nodes.append(pre)
            vectors = [shape[0], *shape[2:]]
            out = new_tensor_name(model, f"{name}_hw_out")
        else:
            vectors, out = [1], mt.output[0]
        t_name = new_tensor_name(model, f"{name}_T_hw")
        model.set_initializer(t_name, thresholds)
        model.set_tensor_datatype(t_name, DataType["INT32"])
        nodes.append(
            helper.make_node(
                "Thresholding",
                [source, t_name],
                [out],
                name=f"{name}_hw",
                domain=DOMAIN,
                NumChannels=shape[1],
                numInputVectors=vectors,
                numThresholds=thresholds.shape[1],
                ActVal=act_val,
                inputDataType=idt.name,
                outputDataType=odt.name,
            )
        )
        model.set_tensor_shape(out, [*vectors, shape[1]])
        model.set_tensor_datatype(out, odt)
        if layout == "nchw":
            nodes.append(
                helper.make_node(
                    "Transpose", [out], [mt.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
                )
            )
        position = list(model.graph.node).index(mt)
        model.graph.node.remove(mt)
        for offset, new in enumerate(nodes):
            model.graph.node.insert(position + offset, new)
        for node in bypassed:
            if not model.find_consumers(node.output[0]) and not any(
                o.name == node.output[0] for o in model.graph.output
            ):
                model.graph.node.remove(node)
