"""AbsorbTransposeIntoFCWeights: hw -> Transpose(to NCHW) -> Flatten -> FC(W)  ==>
hw -> Flatten -> FC(W rows in NHWC order), bit-exact; other transposes stay."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.transforms.to_hw.absorb_transpose_into_fc_weights import (
    AbsorbTransposeIntoFCWeights,
    nhwc_row_order,
)
from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from tests.transforms.streamline.graphs import Chain, check, integers, op_types
from tests.transforms.to_hw.fc_graphs import conv_flatten_fc


def test_row_order_maps_nhwc_positions_to_nchw_ones():
    x = np.arange(2 * 3 * 4).reshape(1, 2, 3, 4)  # NCHW
    order = nhwc_row_order(2, 3, 4)
    assert np.array_equal(x.reshape(-1)[order], x.transpose(0, 2, 3, 1).reshape(-1))


@pytest.mark.parametrize("size", [(1, 1), (3, 2)])
def test_fc_reads_the_hardware_stream_in_its_own_order(size):
    hw = conv_flatten_fc(*size).transform(ConvertConvThresholdToHW())
    assert op_types(hw)[-4:] == ["Transpose", "Reshape", "Gemm", "MultiThreshold"]
    x = integers([1, 3, *size], 0, 4, seed=3)
    after = check(hw, AbsorbTransposeIntoFCWeights(), x)
    assert op_types(after)[-4:] == ["MatrixVectorUnit", "Reshape", "Gemm", "MultiThreshold"]


def test_transposes_of_host_tensors_stay():
    chain = Chain([1, 2, 2, 3]).op("Transpose", perm=[0, 3, 1, 2]).op("Flatten", axis=1)
    model = chain.op("MatMul", integers([12, 4], -2, 3)).model([1, 4])
    after = check(model, AbsorbTransposeIntoFCWeights(), integers([1, 2, 2, 3], 0, 4))
    assert op_types(after) == ["Transpose", "Flatten", "MatMul"]
