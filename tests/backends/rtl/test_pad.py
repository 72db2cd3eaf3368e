"""ZeroPad's RTL kernel against the op's numpy execution, bit-exactly and in the HLS kernel's
word order: odd sizes, symmetric and asymmetric pads, SIMD=1, partial SIMD and SIMD=C, signed
extremes, channel-group-major inputs, random gaps and backpressure; one output word per cycle
(the op's cycles())."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.pad import render
from qnnflow.errors import QnnflowError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_pad_cpp import frames_of, pad_model
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.rtl.helpers import assert_stream_equal
from tests.ops.helpers import op_of, run


def check(code, x, expected, cycles: int, stalls: float = 0.0) -> None:
    """Lint-clean, bit-exact at full speed (cycles() per frame) and, when `stalls`, under
    random input gaps and output backpressure."""
    assert lint(code) == []
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    assert result.cycles_per_frame == cycles, (result.cycles_per_frame, cycles)
    if stalls:
        result = simulate_layer(code, [x], gaps=stalls, stalls=stalls, seed=5)
        assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


@pytest.mark.parametrize(
    "h,w,pads,dtype,simd,stalls",
    [
        (7, 5, [1, 1, 1, 1], "UINT3", 1, 0.3),  # the 3x3 conv's pad, SIMD=1
        (5, 6, [0, 2, 1, 0], "INT4", 2, 0.3),  # asymmetric, signed extremes
        (7, 5, [1, 1, 1, 1], "UINT3", 4, 0.0),  # SIMD=C
        pytest.param(1, 1, [0, 0, 1, 1], "INT8", 2, 0.0, marks=pytest.mark.slow),
    ],
)
def test_pad_matches_numpy(h, w, pads, dtype, simd, stalls):
    model = pad_model(h, w, 4, pads, simd, dtype)
    op = op_of(model)
    x = frames_of((op.input_dtype().min(), op.input_dtype().max()), [1, h, w, 4], h * w)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    check(render(model, model.graph.node[0]), x, expected, op.cycles(), stalls)


@pytest.mark.parametrize("groups,simd", [(2, 2), pytest.param(4, 1, marks=pytest.mark.slow)])
def test_pad_keeps_group_major_order(groups, simd):
    model = pad_model(5, 3, 8, [1, 0, 1, 2], simd)
    x = frames_of((0, 7), [1, 5, 3, 8], groups)
    expected = np.concatenate([run(model, f[None]) for f in x])
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    code = render(model, model.graph.node[1])
    check(code, to_group_major(x, groups), to_group_major(expected, groups), cycles, 0.3)


def test_refusals_name_the_layer_before_any_code():
    model = pad_model(4, 4, 2, [1, 1, 1, 1], dtype="BIPOLAR")
    with pytest.raises(QnnflowError, match="cannot zero-pad a BIPOLAR map"):
        render(model, model.graph.node[0])
    model = behind_mvu(pad_model(3, 3, 8, [1, 1, 1, 1], simd=4), 4)
    with pytest.raises(QnnflowError, match="SIMD=4 must divide the 2 channels of each of the 4"):
        render(model, model.graph.node[1])


def test_render_is_deterministic():
    model = pad_model(7, 5, 4, [0, 0, 1, 1], 2, "INT4")
    assert render(model, model.graph.node[0]) == render(model, model.graph.node[0])
