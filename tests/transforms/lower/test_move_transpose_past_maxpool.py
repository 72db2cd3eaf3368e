"""MoveTransposePastMaxPool: Transpose(NHWC->NCHW) -> MaxPool -> MaxPoolNHWC -> Transpose."""

from __future__ import annotations

import pytest

from qnnflow.transforms.lower import MoveTransposePastMaxPool
from tests.transforms.streamline.graphs import Chain, check, floats, op_types


@pytest.mark.parametrize(
    ("attrs", "out_hw"),
    [
        ({"kernel_shape": [2, 2], "strides": [2, 2]}, [2, 2]),
        ({"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, [3, 3]),
        ({"kernel_shape": [2, 2], "strides": [1, 1]}, [4, 4]),
        ({"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1, 1, 1, 1]}, [5, 5]),
    ],
)
def test_pool_runs_in_nhwc(attrs, out_hw):
    chain = Chain([1, 5, 5, 3]).op("Transpose", perm=[0, 3, 1, 2]).op("MaxPool", **attrs)
    after = check(chain.model([1, 3, *out_hw]), MoveTransposePastMaxPool(), floats([1, 5, 5, 3]))
    assert op_types(after) == ["MaxPoolNHWC", "Transpose"]


def test_asymmetric_pool_padding_is_left_alone():
    attrs = {"kernel_shape": [2, 2], "strides": [1, 1], "pads": [0, 0, 1, 1]}
    chain = Chain([1, 5, 5, 3]).op("Transpose", perm=[0, 3, 1, 2]).op("MaxPool", **attrs)
    after = check(chain.model([1, 3, 5, 5]), MoveTransposePastMaxPool(), floats([1, 5, 5, 3]))
    assert op_types(after) == ["Transpose", "MaxPool"]
