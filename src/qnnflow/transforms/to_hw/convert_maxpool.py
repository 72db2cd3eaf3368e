"""MaxPool (NCHW, integer input)  ==>  Transpose -> StreamingMaxPool -> Transpose.
ONNX pads cells never win the max, matching StreamingMaxPool's padding semantics; ceil_mode's
extra window at the right/bottom becomes that much more right/bottom padding."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import attr as _attr
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.util.names import new_tensor_name


def decline_reason(model: ModelWrapper, node) -> str | None:
    """None when the MaxPool `node` becomes a StreamingMaxPool, else why it stays on the host."""
    kernel = list(_attr(node, "kernel_shape", [1, 1]))
    strides = list(_attr(node, "strides", [1, 1]))
    dtype = model.get_tensor_datatype(node.input[0])
    if len(kernel) != 2 or kernel[0] != kernel[1]:
        return f"kernel_shape={kernel} is not square 2D"
    if len(strides) != 2 or strides[0] != strides[1]:
        return f"strides={strides} differ between H and W"
    if any(d != 1 for d in _attr(node, "dilations", [1, 1])):
        return f"dilations={list(_attr(node, 'dilations', [1, 1]))} not supported"
    if dtype is None or not dtype.is_integer():
        return f"MaxPool input datatype {dtype.name if dtype else 'untyped'} is not integer"
    auto_pad = _attr(node, "auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad not in ("NOTSET", "VALID"):
        return f"auto_pad={auto_pad} not supported (explicit pads are)"
    indices = node.output[1] if len(node.output) > 1 else ""
    outputs = {o.name for o in model.graph.output}
    if indices and (model.find_consumers(indices) or indices in outputs):
        return "its Indices output is read"
    return None


def _pads(model: ModelWrapper, node) -> list[int]:
    """ONNX (top, left, bottom, right) pads, grown at the bottom/right by what ceil_mode adds."""
    top, left, bottom, right = _attr(node, "pads", [0, 0, 0, 0])
    k, s = _attr(node, "kernel_shape", [1, 1])[0], _attr(node, "strides", [1, 1])[0]
    _, _, h, w = model.get_tensor_shape(node.input[0])
    _, _, oh, ow = model.get_tensor_shape(node.output[0])
    bottom += max(0, (oh - 1) * s + k - (h + top + bottom))
    right += max(0, (ow - 1) * s + k - (w + left + right))
    return [top, left, bottom, right]


class ConvertMaxPoolToHW(Transformation):
    ORDER = 40
    OP_TYPES = ("MaxPool",)
    decline_reason = staticmethod(decline_reason)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("MaxPool",), decline_reason)
        for node, _ in matches:
            name = node.name or node.output[0]
            dtype = model.get_tensor_datatype(node.input[0])
            _, c, h, w = model.get_tensor_shape(node.input[0])
            _, _, oh, ow = model.get_tensor_shape(node.output[0])
            pads = _pads(model, node)
            pre, x = transpose(model, node.input[0], TO_NHWC, f"{name}_to_nhwc")
            pooled = new_tensor_name(model, f"{name}_hw_out")
            hw = helper.make_node(
                "StreamingMaxPool",
                [x],
                [pooled],
                name=f"{name}_hw",
                domain=DOMAIN,
                ImgDim=[h, w],
                Kernel=_attr(node, "kernel_shape", [1, 1])[0],
                Stride=_attr(node, "strides", [1, 1])[0],
                Pads=list(pads),
                NumChannels=c,
                inputDataType=dtype.name,
                outputDataType=dtype.name,
            )
            model.set_tensor_shape(pooled, [1, oh, ow, c])
            model.set_tensor_datatype(pooled, dtype)
            post = helper.make_node(
                "Transpose", [pooled], [node.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
            )
            position = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            for offset, new in enumerate((pre, hw, post)):
                model.graph.node.insert(position + offset, new)
        return model, bool(matches)
