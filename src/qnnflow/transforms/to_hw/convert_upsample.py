"""Resize(mode=nearest) or Upsample(nearest), NCHW, integer input, integer scales on H and W
==>  Transpose -> Upsample -> Transpose, when the node's coordinate rule maps output pixel
i to input pixel i // factor (Darknet's [upsample]; ONNX's half_pixel default does too)."""

from __future__ import annotations

import math

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import attr as _attr
from qnnflow.transforms.to_hw.layout import TO_NCHW, TO_NHWC, transpose
from qnnflow.transforms.to_hw.matches import convertible
from qnnflow.util.names import new_tensor_name

# ONNX Resize: output coordinate x -> input coordinate, per coordinate_transformation_mode
_COORDINATES = {
    "half_pixel": lambda x, s, n_in, n_out: (x + 0.5) / s - 0.5,
    "pytorch_half_pixel": lambda x, s, n_in, n_out: (x + 0.5) / s - 0.5 if n_out > 1 else 0 * x,
    "asymmetric": lambda x, s, n_in, n_out: x / s,
    "align_corners": lambda x, s, n_in, n_out: x * (n_in - 1) / max(n_out - 1, 1),
}
_ROUNDING = {
    "round_prefer_floor": lambda v: np.ceil(v - 0.5),
    "round_prefer_ceil": lambda v: np.floor(v + 0.5),
    "floor": np.floor,
    "ceil": np.ceil,
}


def nearest_source_index(n_in: int, factor: int, coordinates: str, rounding: str) -> np.ndarray:
    """Input index read by each of the n_in*factor outputs under ONNX Resize's nearest rule."""
    n_out = n_in * factor
    x = np.arange(n_out, dtype=np.float64)
    source = _ROUNDING[rounding](_COORDINATES[coordinates](x, factor, n_in, n_out))
    return np.clip(source, 0, n_in - 1).astype(np.int64)


def _scales(model: ModelWrapper, node) -> np.ndarray | None:
    if node.op_type == "Upsample":  # opset 7 attribute, opset 9 input
        if len(node.input) > 1:
            return model.get_initializer(node.input[1])
        scales = _attr(node, "scales", None)
        return None if scales is None else np.asarray(scales)
    if len(node.input) > 2 and node.input[2]:
        scales = model.get_initializer(node.input[2])
        if scales is not None and scales.size:
            return scales
    if len(node.input) > 3 and node.input[3]:
        sizes = model.get_initializer(node.input[3])
        in_shape = model.get_tensor_shape(node.input[0])
        if sizes is not None and in_shape is not None and len(sizes) == len(in_shape):
            return np.asarray(sizes, dtype=np.float64) / np.asarray(in_shape, dtype=np.float64)
    return None


def _mode(node, name: str, default: str) -> str:
    value = _attr(node, name, default)
    return value.decode() if isinstance(value, bytes) else value


def reason_not_convertible(model: ModelWrapper, node) -> str | None:
    """None when `node` becomes an Upsample, else why it stays on the host."""
    if node.op_type not in ("Resize", "Upsample"):
        return "not a Resize/Upsample"
    if _mode(node, "mode", "nearest") != "nearest":
        return f"mode={_mode(node, 'mode', 'nearest')} (only nearest is a pixel copy)"
    dtype = model.get_tensor_datatype(node.input[0])
    if dtype is None or not dtype.is_integer():
        return f"input '{node.input[0]}' is {dtype.name if dtype else 'untyped'}, not integer"
    shape = model.get_tensor_shape(node.input[0])
    scales = _scales(model, node)
    if shape is None or len(shape) != 4 or scales is None or len(scales) != 4:
        return "needs a 4D NCHW input with constant scales (or sizes) for all 4 axes"
    if list(scales[:2]) != [1, 1] or any(s < 1 or s != math.floor(s) for s in scales[2:]):
        return f"scales {list(scales)} are not [1, 1, integer, integer]"
    if node.op_type == "Resize":
        coordinates = _mode(node, "coordinate_transformation_mode", "half_pixel")
        rounding = _mode(node, "nearest_mode", "round_prefer_floor")
        if coordinates not in _COORDINATES or rounding not in _ROUNDING:
            return f"coordinate mode {coordinates} / nearest_mode {rounding} not supported"
        for n_in, factor in zip(shape[2:], scales[2:], strict=True):
            source = nearest_source_index(int(n_in), int(factor), coordinates, rounding)
            if not np.array_equal(source, np.arange(source.size) // int(factor)):
                return f"{coordinates}/{rounding} does not repeat each pixel {int(factor)} times"
    return None


class ConvertUpsampleToHW(Transformation):
    ORDER = 10  # first: its output feeds the Concat conversion
    OP_TYPES = ("Resize", "Upsample")
    decline_reason = staticmethod(reason_not_convertible)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = convertible(model, ("Resize", "Upsample"), reason_not_convertible)
        for node, _ in matches:
            name = node.name or node.output[0]
            dtype = model.get_tensor_datatype(node.input[0])
            _, c, h, w = model.get_tensor_shape(node.input[0])
            fh, fw = (int(s) for s in _scales(model, node)[2:])
            pre, x = transpose(model, node.input[0], TO_NHWC, f"{name}_to_nhwc")
            upsampled = new_tensor_name(model, f"{name}_hw_out")
            hw = helper.make_node(
                "Upsample",
                [x],
                [upsampled],
                name=f"{name}_hw",
                domain=DOMAIN,
                ImgDim=[h, w],
                Factor=[fh, fw],
                NumChannels=c,
                inputDataType=dtype.name,
                outputDataType=dtype.name,
            )
            model.set_tensor_shape(upsampled, [1, h * fh, w * fw, c])
            model.set_tensor_datatype(upsampled, dtype)
            post = helper.make_node(
                "Transpose", [upsampled], [node.output[0]], name=f"{name}_to_nchw", perm=TO_NCHW
            )
            model.set_tensor_datatype(node.output[0], dtype)
            position = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            for offset, new in enumerate((pre, hw, post)):
                model.graph.node.insert(position + offset, new)
        return model, bool(matches)
