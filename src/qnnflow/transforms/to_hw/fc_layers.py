"""What the fully connected conversions need to know about a Gemm or MatMul: its weights as
the [MW, MH] matrix a MatrixVectorUnit multiplies by, and whether its input is a flatten."""

from __future__ import annotations

import numpy as np
from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.transforms.streamline.quant_weights_to_integer import weight_output_axis
from qnnflow.util.names import new_tensor_name


def fc_weight_matrix(model: ModelWrapper, fc: NodeProto) -> np.ndarray | None:
    """The weights of a bias-free Gemm (alpha=1, transA=0) or MatMul by a constant matrix as
    [MW, MH] (y = x @ matrix); None for anything else."""
    if fc.op_type not in ("Gemm", "MatMul") or len(fc.input) != 2:
        return None
    weights = model.get_initializer(fc.input[1])
    axis = weight_output_axis(model, fc) if weights is not None else None
    if axis is None or weights.ndim != 2:
        return None
    return weights.T if axis == 0 else weights


def set_fc_weight_matrix(model: ModelWrapper, fc: NodeProto, matrix: np.ndarray) -> None:
    """Give `fc` new weights from an [MW, MH] matrix, in its own orientation and datatype."""
    dtype = model.get_tensor_datatype(fc.input[1])
    value = matrix.T if weight_output_axis(model, fc) == 0 else matrix
    name = new_tensor_name(model, f"{fc.name or fc.output[0]}_weight_nhwc")
    model.set_initializer(name, np.ascontiguousarray(value, dtype=np.float32))
    if dtype is not None:
        model.set_tensor_datatype(name, dtype)
    fc.input[1] = name


def flattening(model: ModelWrapper, node: NodeProto | None) -> bool:
    """True for a Reshape/Flatten of a [1, ...] tensor into [1, N] (row-major order kept)."""
    if node is None or node.op_type not in ("Reshape", "Flatten"):
        return False
    in_shape, out_shape = (
        model.get_tensor_shape(node.input[0]),
        model.get_tensor_shape(node.output[0]),
    )
    if not in_shape or not out_shape or in_shape[0] != 1:
        return False
    return list(out_shape) == [1, int(np.prod(in_shape[1:]))]
