"""Refuse parameters no quantizer or gate can handle: NaN/Inf in initializers or Constant
nodes, and negative BatchNormalization variances (sqrt of a negative number is NaN)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import ModelProto, TensorProto, numpy_helper

from qnnflow.errors import OnnxError
from qnnflow.frontend.onnx_import.read import node_label

BN_VARIANCE_INPUT = 4  # BatchNormalization(X, scale, B, input_mean, input_var)


def _consumers(proto: ModelProto, tensor: str) -> str:
    users = [node_label(node, i) for i, node in enumerate(proto.graph.node) if tensor in node.input]
    return f" (used by {', '.join(users[:3])})" if users else ""


def _constants(proto: ModelProto) -> list[tuple[str, TensorProto]]:
    """(where, tensor) of every initializer and Constant node value."""
    found = [(f"initializer '{t.name}'", t) for t in proto.graph.initializer]
    for index, node in enumerate(proto.graph.node):
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    found.append((f"{node_label(node, index)} value", attr.t))
    return found


def check_finite(proto: ModelProto, path: Path) -> None:
    """Every floating-point constant is finite; the first bad one is named with its users."""
    for where, tensor in _constants(proto):
        if tensor.data_type not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
            continue
        values = numpy_helper.to_array(tensor)
        bad = ~np.isfinite(values)
        if bad.any():
            nans, total = int(np.isnan(values).sum()), values.size
            infs = int(bad.sum()) - nans
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise OnnxError(
                f"{where}{_consumers(proto, tensor.name)}: {nans} NaN and {infs} Inf of "
                f"{total} values (first at index {first}); weights must be finite",
                path,
            )


def check_batchnorm_variance(proto: ModelProto, path: Path) -> None:
    """BatchNormalization variances given as constants are >= 0."""
    initializers = {t.name: t for t in proto.graph.initializer}
    for index, node in enumerate(proto.graph.node):
        if node.op_type != "BatchNormalization" or len(node.input) <= BN_VARIANCE_INPUT:
            continue
        tensor = initializers.get(node.input[BN_VARIANCE_INPUT])
        if tensor is None:
            continue
        variance = numpy_helper.to_array(tensor)
        negative = np.flatnonzero(variance < 0)
        if negative.size:
            raise OnnxError(
                f"{node_label(node, index)}: variance '{tensor.name}' has {negative.size} "
                f"negative value(s) (channel {int(negative[0])}: "
                f"{float(variance.flat[negative[0]]):g}); a variance must be >= 0",
                path,
            )
