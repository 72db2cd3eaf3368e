"""Add(a, b) of two computed integer tensors of one shape (a residual connection)
==>  Transpose each input -> StreamingAdd -> Transpose (NCHW), or StreamingAdd alone on
[1, C] vectors; the sum is typed in the smallest integer type holding it (qonnx's own
inference would say INT32, and the layers after it take their input type from it)."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.add import sum_type
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.util.names import new_tensor_name


def _from_hardware(model: ModelWrapper, tensor: str) -> str | None:
    """None when `tensor` is (or will be) a hardware stream: made by a hardware node, a
    Transpose of one, or a node one of the conversions looks at; else why not."""
    from qnnflow.transforms.to_hw import conversions  # the package imports this module

    producer = model.find_producer(tensor)
    if producer is None:
        return f"input '{tensor}' is a graph input, not a hardware stream"
    if producer.op_type == "Transpose":
        source = model.find_producer(producer.input[0])
        producer = source if source is not None and source.domain == DOMAIN else producer
    if producer.domain == DOMAIN:
        return None
    if any(producer.op_type in c.OP_TYPES for c in conversions()):
        return None
    return f"input '{tensor}' comes from {producer.op_type}, which no conversion makes hardware"


def reason_not_convertible(model: ModelWrapper, node) -> str | None:
    """None when `node` becomes a StreamingAdd, else why it stays on the host."""
    if node.op_type != "Add":
        return "not an Add"
    if len(node.input) != 2 or node.input[0] == node.input[1]:
        return "needs two different inputs"
    for tensor in node.input:
        if model.get_initializer(tensor) is not None:
            return f"input '{tensor}' is a constant (a bias: streamlining folds it into thresholds)"
    dtypes = [model.get_tensor_datatype(t) for t in node.input]
    for tensor, dtype in zip(node.input, dtypes, strict=True):
        if dtype is None or not dtype.is_integer():
            return f"input '{tensor}' is {dtype.name if dtype else 'untyped'}, not integer"
    shapes = [model.get_tensor_shape(t) for t in node.input]
    if shapes[0] != shapes[1]:
        return f"input shapes {shapes[0]} and {shapes[1]} differ (no broadcasting in hardware)"
    if shapes[0] is None or len(shapes[0]) not in (2, 4) or shapes[0][0] != 1:
        return f"input shape {shapes[0]} is neither [1, C] nor NCHW [1, C, H, W]"
    for tensor in node.input:
        reason = _from_hardware(model, tensor)
        if reason is not None:
            return reason
    return None


class ConvertAddToHW(Transformation):
    ORDER = 25  # after the concat, before the convs: they take their input type from its sum
    OP_TYPES = ("Add",)
    decline_reason = staticmethod(reason_not_convertible)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("Add",), reason_not_convertible)
        for node, _ in matches:
            self._convert(model, node)
        return model, bool(matches)

    def _convert(self, model: ModelWrapper, node) -> None:
        name = node.name or node.output[0]
        dtypes = [model.get_tensor_datatype(t) for t in node.input]
        odt = sum_type(*dtypes)
        shape = model.get_tensor_shape(node.input[0])
        nchw = len(shape) == 4
        nodes, streams = [], list(node.input)
        if nchw:
            for i, tensor in enumerate(node.input):
                pre, streams[i] = transpose(model, tensor, TO_NHWC, f"{name}_in{i}_to_nhwc")
                nodes.append(pre)
        nhwc = [shape[0], *shape[2:], shape[1]] if nchw else list(shape)
        total = new_tensor_name(model, f"{name}_hw_out") if nchw else node.output[0]
        nodes.append(
            helper.make_node(
                "StreamingAdd",
                streams,
                [total],
                name=f"{name}_hw",
                domain=DOMAIN,
                NumChannels=nhwc[-1],
                numInputVectors=nhwc[:-1],
                inputDataTypes=[d.name for d in dtypes],
                outputDataType=odt.name,
            )
        )
        model.set_tensor_shape(total, nhwc)
        model.set_tensor_datatype(total, odt)
        if nchw:
            nodes.append(
                helper.make_node(
                    "Transpose", [total], [node.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
                )
            )
        model.set_tensor_datatype(node.output[0], odt)
        position = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        for offset, new in enumerate(nodes):
            model.graph.node.insert(position + offset, new)
