"""Pad(constant 0, H/W only, integer NCHW input)  ==>  Transpose -> ZeroPad -> Transpose
(a Brevitas ZeroPad2d in front of a max-pool; a conv's own pads go with the conv)."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.ops.bipolar import is_bipolar
from qnnflow.transforms.streamline.patterns import attr as _attr
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.util.names import new_tensor_name


def _spatial_pads(model: ModelWrapper, node) -> list[int] | str:
    """[top, left, bottom, right] when the Pad `node` zero-pads only H and W of an integer
    NCHW tensor, else why it stays on the host."""
    mode = _attr(node, "mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "constant":
        return f"mode={mode} (only constant zero padding)"
    if len(node.input) < 2:
        return "pads given as an attribute (opset < 11)"
    pads = model.get_initializer(node.input[1])
    value = model.get_initializer(node.input[2]) if len(node.input) > 2 and node.input[2] else 0
    if pads is None or value is None:
        return "pads or the pad value are not constants"
    if np.any(np.asarray(value) != 0):
        return f"pad value {np.asarray(value).tolist()} is not 0"
    if len(node.input) > 3 and node.input[3]:
        return "padding selected axes (axes input) not supported"
    shape, dtype = model.get_tensor_shape(node.input[0]), model.get_tensor_datatype(node.input[0])
    if len(pads) != 8 or shape is None or len(shape) != 4:
        return "input is not a 4D NCHW tensor"
    if dtype is None or not dtype.is_integer():
        return f"Pad input datatype {dtype.name if dtype else 'untyped'} is not integer"
    if is_bipolar(dtype):
        return "pads a BIPOLAR map with 0, which is neither -1 nor +1"
    pads = [int(p) for p in pads]
    if pads[0] or pads[1] or pads[4] or pads[5]:
        return f"pads {pads} pad the batch or channel axis"
    if min(pads) < 0:
        return f"pads {pads} crop (negative)"
    return [pads[2], pads[3], pads[6], pads[7]]


def spatial_pads(model: ModelWrapper, node) -> list[int] | None:
    """[top, left, bottom, right] when `node` zero-pads only H and W of an integer NCHW
    tensor, else None."""
    if node.op_type != "Pad":
        return None
    pads = _spatial_pads(model, node)
    return None if isinstance(pads, str) else pads


def decline_reason(model: ModelWrapper, node) -> str | None:
    """None when the Pad `node` becomes a ZeroPad, else why it stays on the host."""
    pads = _spatial_pads(model, node)
    return pads if isinstance(pads, str) else None


class ConvertPadToHW(Transformation):
    ORDER = 35  # after the conv conversion, before the max-pool conversion
    OP_TYPES = ("Pad",)
    decline_reason = staticmethod(decline_reason)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = [(n, p) for n in model.graph.node if (p := spatial_pads(model, n)) is not None]
        for node, pads in matches:
            name = node.name or node.output[0]
            dtype = model.get_tensor_datatype(node.input[0])
            _, c, h, w = model.get_tensor_shape(node.input[0])
            top, left, bottom, right = pads
            pre, x = transpose(model, node.input[0], TO_NHWC, f"{name}_to_nhwc")
            padded = new_tensor_name(model, f"{name}_padded")
            hw = helper.make_node(
                "ZeroPad",
                [x],
                [padded],
                name=f"{name}_hw",
                domain=DOMAIN,
                ImgDim=[h, w],
                Padding=pads,
                NumChannels=c,
                inputDataType=dtype.name,
                outputDataType=dtype.name,
            )
            model.set_tensor_shape(padded, [1, h + top + bottom, w + left + right, c])
            model.set_tensor_datatype(padded, dtype)
            post = helper.make_node(
                "Transpose", [padded], [node.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
            )
            position = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            for offset, new in enumerate((pre, hw, post)):
                model.graph.node.insert(position + offset, new)
        return model, bool(matches)
