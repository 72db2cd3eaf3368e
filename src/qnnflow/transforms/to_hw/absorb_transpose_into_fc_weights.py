"""A fully connected layer reading the flattened NCHW copy of a hardware (NHWC) stream reads
the stream's own order instead, its weight rows permuted to match:

    hw [1,H,W,C] -> Transpose(to NCHW) -> Flatten -> FC(W)  ==>  hw -> Flatten -> FC(W')
    W'[(h*W + w)*C + c] = W[(c*H + h)*W + w]

So a conv stack's last layer can feed the first fully connected layer with no layout change
in between (CNV: conv -> flatten -> Gemm); for a 1x1 map the permutation is the identity."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline.patterns import attr, sole_consumer
from qnnflow.transforms.to_hw.fc_layers import fc_weight_matrix, flattening, set_fc_weight_matrix
from qnnflow.transforms.to_hw.layout import TO_NCHW


def nhwc_row_order(c: int, h: int, w: int) -> np.ndarray:
    """order[j] = the NCHW-flattened index of the element at NHWC-flattened index j."""
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1)


class AbsorbTransposeIntoFCWeights(Transformation):
    """Drop the NHWC -> NCHW Transpose in front of a flatten read by a Gemm/MatMul."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = []
        for fc in model.graph.node:
            matrix = fc_weight_matrix(model, fc)
            flatten = model.find_producer(fc.input[0]) if matrix is not None else None
            if not flattening(model, flatten) or sole_consumer(model, flatten.output[0]) is None:
                continue
            transpose = model.find_producer(flatten.input[0])
            if transpose is None or transpose.op_type != "Transpose":
                continue
            if list(attr(transpose, "perm", [])) != TO_NCHW:
                continue
            source = model.find_producer(transpose.input[0])
            if source is None or source.domain != DOMAIN:
                continue
            if sole_consumer(model, transpose.output[0]) is None:
                continue
            matches.append((fc, flatten, transpose, matrix))
        for fc, flatten, transpose, matrix in matches:
            _, c, h, w = model.get_tensor_shape(transpose.output[0])
            set_fc_weight_matrix(model, fc, matrix[nhwc_row_order(c, h, w)])
            flatten.input[0] = transpose.input[0]
            model.graph.node.remove(transpose)
        return model, bool(matches)
