"""SlidingWindow's C++ kernels against the op's numpy execution, bit-exactly: the line
buffer for kernels 1/2/3 and strides 1/2 on odd sizes and every legal SIMD; the frame buffer
with frameReplays 1 and 3, fed in normal or channel-group-major order."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.sliding_window import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of, run, single_node_model


def window_model(h, w, c, k, s, simd=1, dtype="UINT3", frame_buffer=0, replays=1, in_simd=0):
    kh, kw = k
    sh, sw = s
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    return single_node_model(
        "SlidingWindow",
        [1, h, w, c],
        [1, oh, ow, kh * kw * c],
        ConvKernelDim=[kh, kw],
        IFMChannels=c,
        IFMDim=[h, w],
        Stride=[sh, sw],
        SIMD=simd,
        frameBuffer=frame_buffer,
        frameReplays=replays,
        inputSIMD=in_simd,
        inputDataType=dtype,
        outputDataType=dtype,
    )


def expected_and_input(model, seed):
    op = op_of(model)
    low, high = op.input_dtype().min(), op.input_dtype().max()
    x = frames_of((low, high), list(op.normal_input_shape()), seed)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(len(x), -1)
    return x, expected


LINE_CASES = [
    (7, 5, 4, (3, 3), (1, 1), 2, "UINT3"),
    (7, 5, 4, (3, 3), (2, 2), 4, "INT4"),
    (7, 5, 4, (2, 2), (2, 2), 1, "UINT3"),
    pytest.param(6, 7, 4, (2, 2), (1, 1), 4, "UINT3", marks=pytest.mark.slow),
    (5, 5, 4, (1, 1), (1, 1), 2, "INT8"),
    pytest.param(5, 6, 4, (1, 1), (2, 2), 4, "UINT3", marks=pytest.mark.slow),  # S > K
    (13, 13, 2, (3, 3), (1, 1), 2, "UINT3"),
    (6, 5, 2, (3, 2), (2, 1), 1, "UINT3"),  # rectangular kernel and stride
]


@pytest.mark.parametrize("h,w,c,k,s,simd,dtype", LINE_CASES)
def test_line_buffer_matches_numpy(h, w, c, k, s, simd, dtype):
    model = window_model(h, w, c, k, s, simd, dtype)
    x, expected = expected_and_input(model, h * w + k[0])
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.slow
@pytest.mark.parametrize("simd", [1, 2, 3, 6])
@pytest.mark.parametrize("k,s", [((3, 3), (1, 1)), ((3, 3), (2, 2))])
def test_line_buffer_every_legal_simd(k, s, simd):
    model = window_model(9, 8, 6, k, s, simd)
    x, expected = expected_and_input(model, simd)
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.parametrize(
    "c,groups,replays,simd,in_simd,k,s",
    [
        pytest.param(8, 1, 1, 2, 2, (3, 3), (1, 1), marks=pytest.mark.slow),
        (8, 1, 3, 4, 4, (2, 2), (2, 2)),
        (8, 2, 3, 2, 4, (3, 3), (1, 1)),  # input words wider than the windows' words
        (8, 4, 1, 8, 2, (3, 3), (2, 2)),  # PE=2 DDR-streamed MVU in front, SIMD=8 behind
        (12, 1, 2, 4, 6, (3, 3), (1, 1)),  # 6 -> 4 channels per word: 6 banks of 2
    ],
)
def test_frame_buffer_reorders_groups_and_replays(c, groups, replays, simd, in_simd, k, s):
    model = window_model(7, 5, c, k, s, simd, frame_buffer=1, replays=replays, in_simd=in_simd)
    x, expected = expected_and_input(model, groups * 10 + replays)
    cycles = op_of(model).cycles()
    assert cycles == 7 * 5 * c // in_simd + replays * expected.shape[1] // simd
    model = behind_mvu(model, groups) if groups > 1 else model
    node = model.graph.node[-1]
    result = simulate_layer(render(model, node), [to_group_major(x, groups)])
    np.testing.assert_array_equal(result.stream, np.tile(expected, replays))
    assert result.cycles_per_frame == cycles


def test_illegal_foldings_are_refused_before_any_code():
    model = window_model(5, 5, 4, (3, 3), (1, 1), simd=3)
    with pytest.raises(FoldingError, match="SIMD=3 must divide IFMChannels=4"):
        render(model, model.graph.node[0])
    model = window_model(5, 5, 4, (3, 3), (1, 1), replays=2)
    with pytest.raises(FoldingError, match="frameReplays > 1 needs frameBuffer=1"):
        render(model, model.graph.node[0])
    model = window_model(2, 5, 4, (3, 3), (1, 1))
    with pytest.raises(FoldingError, match="kernel 3x3 does not fit the 2x5 input"):
        render(model, model.graph.node[0])
    model = window_model(5, 5, 4, (3, 3), (1, 1), simd=2, in_simd=4)
    with pytest.raises(FoldingError, match="inputSIMD != SIMD needs frameBuffer=1"):
        render(model, model.graph.node[0])
    model = window_model(5, 5, 4, (3, 3), (1, 1), frame_buffer=1, in_simd=3)
    with pytest.raises(FoldingError, match="inputSIMD=3 must divide IFMChannels=4"):
        render(model, model.graph.node[0])


def test_group_major_input_needs_the_frame_buffer():
    model = behind_mvu(window_model(5, 5, 8, (3, 3), (1, 1), simd=2), 2)
    with pytest.raises(QnnflowError, match="2 channel groups .* set frameBuffer=1"):
        render(model, model.graph.node[1])
    model = behind_mvu(window_model(5, 5, 8, (3, 3), (1, 1), simd=4, frame_buffer=1), 4)
    with pytest.raises(QnnflowError, match="SIMD=4 must divide the 2 channels"):
        render(model, model.graph.node[1])
    wide = window_model(5, 5, 8, (3, 3), (1, 1), simd=8, frame_buffer=1, in_simd=4)
    model = behind_mvu(wide, 4)
    with pytest.raises(QnnflowError, match="inputSIMD=4 must divide the 2 channels"):
        render(model, model.graph.node[1])
