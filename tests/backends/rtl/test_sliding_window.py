"""SlidingWindow's RTL kernels against the op's numpy execution, bit-exactly and in the HLS
kernels' word order: the line buffer for kernels 1/2/3 (and 3x2), strides 1/2, odd sizes,
SIMD=1, partial SIMD and SIMD=C, a block-RAM buffer; the frame buffer with frameReplays 1
and 3 fed in normal or channel-group-major order with input words narrower or wider than
the windows'; random gaps and backpressure; cycles per frame exactly the op's cycles()
(both kernels follow the HLS schedule cycle for cycle)."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.sliding_window import render
from qnnflow.errors import QnnflowError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_sliding_window_cpp import expected_and_input, window_model
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.rtl.helpers import assert_stream_equal
from tests.ops.helpers import op_of


def check(code, x, expected, cycles: int, stalls: float = 0.0) -> None:
    """Lint-clean, bit-exact at full speed (cycles() per frame) and, when `stalls`, under
    random input gaps and output backpressure."""
    assert lint(code) == []
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    assert result.cycles_per_frame == cycles, (result.cycles_per_frame, cycles)
    if stalls:
        result = simulate_layer(code, [x], gaps=stalls, stalls=stalls, seed=3)
        assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


LINE_CASES = [
    (7, 5, 4, (3, 3), (1, 1), 2, "UINT3", 0.3),  # 3x3 stride 1 (behind a pad), odd sizes
    (7, 5, 4, (3, 3), (2, 2), 4, "INT4", 0.0),  # stride 2, SIMD=C, signed extremes
    (5, 5, 4, (1, 1), (1, 1), 1, "INT8", 0.0),  # 1x1, SIMD=1
    (6, 5, 2, (3, 2), (2, 1), 1, "UINT3", 0.0),  # rectangular kernel and stride
    pytest.param(7, 5, 4, (2, 2), (2, 2), 1, "UINT3", 0.3, marks=pytest.mark.slow),
    pytest.param(5, 6, 4, (1, 1), (2, 2), 4, "UINT3", 0.0, marks=pytest.mark.slow),  # S > K
    pytest.param(6, 20, 16, (3, 3), (1, 1), 1, "UINT2", 0.0, marks=pytest.mark.slow),  # BRAM
]


@pytest.mark.parametrize("h,w,c,k,s,simd,dtype,stalls", LINE_CASES)
def test_line_buffer_matches_numpy(h, w, c, k, s, simd, dtype, stalls):
    model = window_model(h, w, c, k, s, simd, dtype)
    x, expected = expected_and_input(model, h * w + k[0])
    code = render(model, model.graph.node[0])
    assert ('"block"' in code.wrapper) == ((k[0] + s[0]) * w * c // simd > 256)
    check(code, x, expected, op_of(model).cycles(), stalls)


@pytest.mark.parametrize(
    "c,groups,replays,simd,in_simd,k,s,stalls",
    [
        (8, 2, 3, 2, 4, (3, 3), (1, 1), 0.3),  # input words wider than the windows' words
        (8, 4, 1, 8, 2, (3, 3), (2, 2), 0.0),  # PE=2 DDR-streamed MVU in front, SIMD=8 behind
        pytest.param(12, 1, 2, 4, 6, (3, 3), (1, 1), 0.0, marks=pytest.mark.slow),  # 6 banks
        pytest.param(8, 1, 3, 4, 4, (2, 2), (2, 2), 0.3, marks=pytest.mark.slow),
    ],
)
def test_frame_buffer_reorders_groups_and_replays(c, groups, replays, simd, in_simd, k, s, stalls):
    model = window_model(7, 5, c, k, s, simd, frame_buffer=1, replays=replays, in_simd=in_simd)
    x, expected = expected_and_input(model, groups * 10 + replays)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups) if groups > 1 else model
    code = render(model, model.graph.node[-1])
    check(code, to_group_major(x, groups), np.tile(expected, replays), cycles, stalls)


def test_refusals_name_the_layer_before_any_code():
    model = behind_mvu(window_model(5, 5, 8, (3, 3), (1, 1), simd=2), 2)
    with pytest.raises(QnnflowError, match="2 channel groups .* set frameBuffer=1"):
        render(model, model.graph.node[1])
    model = window_model(5, 5, 4, (3, 3), (1, 1), replays=2)
    with pytest.raises(QnnflowError, match="frameReplays > 1 needs frameBuffer=1"):
        render(model, model.graph.node[0])


def test_render_is_deterministic():
    model = window_model(7, 5, 8, (3, 3), (1, 1), 2, frame_buffer=1, replays=2, in_simd=4)
    first, second = (render(model, model.graph.node[0]) for _ in range(2))
    assert first == second
    assert "UNIT(2)" in first.wrapper and first.kernels == (
        "window_ram.sv",
        "sliding_window_frame.sv",
    )
