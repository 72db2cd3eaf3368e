"""Helpers to splice NHWC hardware nodes into an NCHW graph with explicit Transposes."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.names import new_tensor_name

TO_NHWC = [0, 2, 3, 1]
TO_NCHW = [0, 3, 1, 2]


def transpose(model: ModelWrapper, tensor: str, perm: list[int], name: str) -> tuple:
    """A Transpose node reading `tensor`; returns (node, output name) with shape/dtype set."""
    out = new_tensor_name(model, f"{name}_out")
    node = helper.make_node("Transpose", [tensor], [out], name=name, perm=perm)
    shape = model.get_tensor_shape(tensor)
    model.set_tensor_shape(out, [shape[p] for p in perm])
    dtype = model.get_tensor_datatype(tensor)
    if dtype is not None:
        model.set_tensor_datatype(out, dtype)
    return node, out
