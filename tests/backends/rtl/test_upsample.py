"""Upsample's RTL kernel against the op's numpy execution, bit-exactly and in the HLS kernel's
order (row by row, each pixel's words FW times, each row FH times): odd sizes, unequal and
unit factors, SIMD=1, partial SIMD and SIMD=C, signed, unsigned and BIPOLAR elements at their
extremes, a channel-group-major input, a row buffer deep enough for block RAM, random gaps
and backpressure; one output word per cycle as cycles() says."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.upsample import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.hls.test_upsample_cpp import frames_for, upsample_model
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import op_of, run

CASES = [
    (3, 5, 6, (2, 2), 1, "UINT3"),  # SIMD=1, odd sizes
    (2, 3, 4, (3, 1), 2, "INT3"),  # unequal factors, partial SIMD
    (1, 1, 4, (4, 4), 4, "BIPOLAR"),  # 1x1 map, SIMD=C, codes copied
    (4, 1, 2, (1, 3), 1, "UINT1"),  # one column, rows not repeated
    (2, 20, 16, (2, 2), 1, "INT4"),  # 320-word row buffer: block RAM
]


def check(code, x, expected, cycles: int, seed: int) -> None:
    """Lint-clean, bit-exact at full speed and under gaps and stalls, cycles() per frame."""
    assert lint(code) == []
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    assert cycles_close(result.cycles_per_frame, cycles), (result.cycles_per_frame, cycles)
    result = simulate_layer(code, [x], gaps=0.3, stalls=0.3, seed=seed)
    assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


@pytest.mark.parametrize("h,w,c,factors,simd,dtype", CASES)
def test_upsample_matches_numpy(h, w, c, factors, simd, dtype):
    model = upsample_model(h, w, c, factors, simd, dtype)
    x = frames_for(model, h * w + simd)  # random, all minimum, all maximum
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    code = render(model, model.graph.node[0])
    assert ("RAM_BLOCK(1)" in code.wrapper) == (w * c // simd > 256)
    check(code, x, expected, op_of(model).cycles(), simd)


def test_group_major_input_is_upsampled_per_group():
    model = upsample_model(3, 3, 8, (2, 2), 2, "INT4")
    x = frames_for(model, 2)
    expected = np.concatenate([run(model, f[None]) for f in x])
    cycles = op_of(model).cycles()
    model = behind_mvu(model, 2)
    code = render(model, model.graph.node[1])
    assert "FOLDS(2)" in code.wrapper  # 4 channels per group, 2 per word
    check(code, to_group_major(x, 2), to_group_major(expected, 2), cycles, 2)


def test_illegal_foldings_are_refused_before_any_code():
    model = upsample_model(2, 2, 6, (2, 2), simd=4)
    with pytest.raises(FoldingError, match="SIMD=4 must divide channels=6"):
        render(model, model.graph.node[0])
    model = behind_mvu(upsample_model(2, 2, 8, (2, 2), simd=4), 4)
    with pytest.raises(QnnflowError, match="SIMD=4 must divide the 2 channels"):
        render(model, model.graph.node[1])
