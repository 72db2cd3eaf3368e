"""Concat(axis=1) of N >= 2 integer NCHW streams  ==>  Transpose each input -> StreamingConcat
-> Transpose, with the output in the smallest integer type holding every input (qonnx's own
datatype inference keeps the first input's type, which can be too narrow)."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.concat import smallest_int_type
from qnnflow.transforms.streamline.patterns import attr as _attr
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.util.names import new_tensor_name


def reason_not_convertible(model: ModelWrapper, node) -> str | None:
    """None when `node` becomes a StreamingConcat, else why it stays on the host."""
    if node.op_type != "Concat":
        return "not a Concat"
    if len(node.input) < 2:
        return "fewer than 2 inputs"
    shapes = [model.get_tensor_shape(t) for t in node.input]
    if any(s is None or len(s) != 4 for s in shapes):
        return "inputs are not 4D NCHW tensors"
    if _attr(node, "axis", 1) not in (1, -3):
        return f"axis={_attr(node, 'axis', 1)} is not the channel axis"
    for tensor in node.input:
        if model.get_initializer(tensor) is not None:
            return f"input '{tensor}' is a constant, not a stream"
        dtype = model.get_tensor_datatype(tensor)
        if dtype is None or not dtype.is_integer():
            kind = dtype.name if dtype is not None else "untyped"
            return f"input '{tensor}' is {kind}, not integer"
    return None


class ConvertConcatToHW(Transformation):
    ORDER = 20  # before the convs: they take their input type from its output
    OP_TYPES = ("Concat",)
    decline_reason = staticmethod(reason_not_convertible)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("Concat",), reason_not_convertible)
        for node, _ in matches:
            self._convert(model, node)
        return model, bool(matches)

    def _convert(self, model: ModelWrapper, node) -> None:
        name = node.name or node.output[0]
        dtypes = [model.get_tensor_datatype(t) for t in node.input]
        odt = smallest_int_type(dtypes)
        _, _, h, w = model.get_tensor_shape(node.input[0])
        channels = [model.get_tensor_shape(t)[1] for t in node.input]
        nodes, streams = [], []
        for i, tensor in enumerate(node.input):
            pre, x = transpose(model, tensor, TO_NHWC, f"{name}_in{i}_to_nhwc")
            nodes.append(pre)
            streams.append(x)
        joined = new_tensor_name(model, f"{name}_hw_out")
        nodes.append(
            helper.make_node(
                "StreamingConcat",
                streams,
                [joined],
                name=f"{name}_hw",
                domain=DOMAIN,
                ImgDim=[h, w],
                ChannelsPerStream=channels,
                inputDataTypes=[d.name for d in dtypes],
                outputDataType=odt.name,
            )
        )
        model.set_tensor_shape(joined, [1, h, w, sum(channels)])
        model.set_tensor_datatype(joined, odt)
        nodes.append(
            helper.make_node(
                "Transpose", [joined], [node.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
            )
        )
        model.set_tensor_datatype(node.output[0], odt)
        position = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        for offset, new in enumerate(nodes):
            model.graph.node.insert(position + offset, new)
