"""ZeroPad's C++ kernel against the op's numpy execution, bit-exactly: odd sizes, asymmetric
pads, every legal SIMD, signed edge values and channel-group-major inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.pad import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of, run, single_node_model


def pad_model(h, w, c, pads, simd=1, dtype="UINT3"):
    top, left, bottom, right = pads
    return single_node_model(
        "ZeroPad",
        [1, h, w, c],
        [1, h + top + bottom, w + left + right, c],
        ImgDim=[h, w],
        Padding=pads,
        NumChannels=c,
        SIMD=simd,
        inputDataType=dtype,
        outputDataType=dtype,
    )


def frames_of(dtype_range, shape, seed):
    """Three frames: random, all zeros, all at the type's maximum (and a minimum row)."""
    low, high = dtype_range
    x = np.random.default_rng(seed).integers(low, high + 1, size=(3, *shape[1:]))
    x[1] = 0
    x[2] = high
    x[2, 0] = low
    return x


@pytest.mark.parametrize(
    "h,w,pads,dtype,simd",
    [
        (7, 5, [1, 1, 1, 1], "UINT3", 1),
        (7, 5, [1, 1, 1, 1], "UINT3", 2),
        (7, 5, [1, 1, 1, 1], "UINT3", 4),
        (5, 6, [0, 2, 1, 0], "INT4", 2),  # asymmetric, signed extremes
    ],
)
def test_pad_matches_numpy(h, w, pads, dtype, simd):
    model = pad_model(h, w, 4, pads, simd, dtype)
    op = op_of(model)
    x = frames_of((op.input_dtype().min(), op.input_dtype().max()), [1, h, w, 4], h * w)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op.cycles()


@pytest.mark.parametrize("groups,simd", [(2, 2), (4, 1)])
def test_pad_keeps_group_major_order(groups, simd):
    model = pad_model(5, 3, 8, [1, 0, 1, 2], simd)
    x = frames_of((0, 7), [1, 5, 3, 8], groups)
    expected = np.concatenate([run(model, f[None]) for f in x])
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, groups)])
    np.testing.assert_array_equal(result.stream, to_group_major(expected, groups))
    assert result.cycles_per_frame == cycles


def test_illegal_simd_is_refused_before_any_code():
    model = pad_model(3, 3, 4, [1, 1, 1, 1], simd=3)
    with pytest.raises(FoldingError, match="SIMD=3 must divide channels=4"):
        render(model, model.graph.node[0])


def test_simd_straddling_channel_groups_is_refused():
    model = behind_mvu(pad_model(3, 3, 8, [1, 1, 1, 1], simd=4), 4)
    with pytest.raises(QnnflowError, match="SIMD=4 must divide the 2 channels of each of the 4"):
        render(model, model.graph.node[1])


def test_zero_padding_a_bipolar_map_is_refused():
    model = pad_model(4, 4, 2, [1, 1, 1, 1], dtype="BIPOLAR")
    with pytest.raises(QnnflowError, match="cannot zero-pad a BIPOLAR map: 0 is not -1 or \\+1"):
        render(model, model.graph.node[0])
