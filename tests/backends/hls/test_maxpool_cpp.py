"""StreamingMaxPool's C++ kernel against the op's numpy execution, bit-exactly: Darknet's
2x2 stride-1 pool with a right/bottom pad, stride 2 on odd sizes, 3x3 kernels, signed inputs
whose pads must not win, every legal PE and channel-group-major inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.maxpool import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of, run, single_node_model


def pool_model(h, w, c, k, s, pads, pe=1, dtype="UINT3"):
    top, left, bottom, right = pads
    oh, ow = (h + top + bottom - k) // s + 1, (w + left + right - k) // s + 1
    return single_node_model(
        "StreamingMaxPool",
        [1, h, w, c],
        [1, oh, ow, c],
        ImgDim=[h, w],
        Kernel=k,
        Stride=s,
        Pads=pads,
        NumChannels=c,
        PE=pe,
        inputDataType=dtype,
        outputDataType=dtype,
    )


def expected_and_input(model, seed, negative=False):
    op = op_of(model)
    low, high = op.input_dtype().min(), op.input_dtype().max()
    x = frames_of((low, high), list(op.normal_input_shape()), seed)
    if negative:  # every value negative: a pad counted as 0 would win
        x[0] = np.minimum(x[0], -1)
    expected = np.concatenate([run(model, f[None]) for f in x])
    return x, expected


CASES = [
    (13, 13, 2, 1, [0, 0, 1, 1], 2, "UINT3"),  # Darknet 2x2 stride 1: pad right/bottom only
    (7, 5, 2, 2, [0, 0, 1, 1], 4, "INT4"),  # odd sizes, stride 2, extra right/bottom window
    pytest.param(8, 8, 2, 2, [0, 0, 0, 0], 1, "UINT3", marks=pytest.mark.slow),
    (6, 7, 3, 1, [1, 1, 1, 1], 2, "INT3"),
    (7, 7, 3, 2, [1, 1, 1, 1], 4, "INT8"),
    (5, 4, 3, 2, [2, 0, 0, 2], 1, "INT4"),  # odd pads, kernel wider than stride
    (1, 1, 2, 1, [0, 0, 1, 1], 4, "UINT3"),
]


@pytest.mark.parametrize("h,w,k,s,pads,pe,dtype", CASES)
def test_maxpool_matches_numpy(h, w, k, s, pads, pe, dtype):
    model = pool_model(h, w, 4, k, s, pads, pe, dtype)
    x, expected = expected_and_input(model, h * w + k, negative=dtype.startswith("INT"))
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected.reshape(3, -1))
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.slow
@pytest.mark.parametrize("pe", [1, 2, 4])
def test_every_legal_pe(pe):
    model = pool_model(5, 5, 4, 2, 2, [0, 0, 1, 1], pe)
    x, expected = expected_and_input(model, pe)
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected.reshape(3, -1))
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.parametrize(
    "groups,pe,k,s,pads", [(2, 2, 2, 1, [0, 0, 1, 1]), (4, 1, 2, 2, [0, 0, 1, 1])]
)
def test_group_major_input_is_pooled_per_group(groups, pe, k, s, pads):
    model = pool_model(7, 5, 8, k, s, pads, pe, "INT4")
    x, expected = expected_and_input(model, groups, negative=True)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, groups)])
    np.testing.assert_array_equal(result.stream, to_group_major(expected, groups))
    assert result.cycles_per_frame == cycles


def test_illegal_foldings_are_refused_before_any_code():
    model = pool_model(4, 4, 4, 2, 2, [0, 0, 0, 0], pe=3)
    with pytest.raises(FoldingError, match="PE=3 must divide channels=4"):
        render(model, model.graph.node[0])
    model = pool_model(4, 4, 4, 2, 2, [0, 0, 2, 0])
    with pytest.raises(FoldingError, match="padding must be smaller than the kernel"):
        render(model, model.graph.node[0])
    model = behind_mvu(pool_model(4, 4, 8, 2, 2, [0, 0, 0, 0], pe=4), 4)
    with pytest.raises(QnnflowError, match="PE=4 must divide the 2 channels"):
        render(model, model.graph.node[1])


@pytest.mark.parametrize("k,s,pads,pe", [(2, 2, [0, 0, 0, 0], 2), (3, 2, [1, 1, 1, 1], 4)])
def test_bipolar_maps_pool_their_bits(k, s, pads, pe):
    """max of -1/+1 = OR of the one-bit codes; a pad cell (code 0 = -1) never beats a -1."""
    model = pool_model(6, 5, 4, k, s, pads, pe, "BIPOLAR")
    rng = np.random.default_rng(k + pe)
    x = rng.choice([-1, 1], size=(3, 1, 6, 5, 4))
    x[1] = -1  # all -1: pads must not turn a window into anything else
    x[2] = np.where(rng.random((1, 6, 5, 4)) < 0.1, 1, -1)  # sparse +1s
    expected = np.concatenate([run(model, f) for f in x])
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected.reshape(3, -1))
    assert set(np.unique(expected)) == {-1, 1}
