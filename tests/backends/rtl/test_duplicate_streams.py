"""DuplicateStreams' RTL kernel: every output carries the input stream unchanged, in order,
for two and three outputs, SIMD=1, partial and full SIMD, signed, unsigned and BIPOLAR
elements at their extremes; under independent random backpressure on each output (one slow
reader) no word is lost or repeated; one word per cycle as cycles() says."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.duplicate_streams import render
from qnnflow.ops import FoldingError
from tests.backends.hls.test_concat_cpp import frames
from tests.backends.hls.test_duplicate_streams_cpp import fork_model
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import op_of

CASES = [
    (2, 1, [1, 3, 5, 4], "UINT3"),  # SIMD=1
    (3, 3, [1, 1, 7, 6], "BIPOLAR"),  # partial SIMD, one-bit codes
    (2, 4, [1, 3, 5, 4], "INT8"),  # SIMD=C, -128 and 127
]


@pytest.mark.parametrize("n,simd,shape,dtype", CASES)
def test_every_output_carries_the_input(n, simd, shape, dtype):
    model = fork_model(n, simd, shape, dtype)
    code = render(model, model.graph.node[0])
    assert render(model, model.graph.node[0]) == code  # deterministic
    assert lint(code) == []
    x = frames(np.random.default_rng(n * simd), dtype, shape)  # random, all min, all max
    expected = np.concatenate([x.reshape(3, -1)] * n, axis=1)  # out0's words, out1's, ...
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    cycles = op_of(model).cycles()
    assert cycles_close(result.cycles_per_frame, cycles), (result.cycles_per_frame, cycles)
    # each output stalls on its own random cycles: a word waits for its slowest reader
    for seed in (1, 2):
        result = simulate_layer(code, [x], gaps=0.3, stalls=0.6, seed=seed)
        assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


def test_illegal_simd_is_refused_before_any_code():
    model = fork_model(2, 3, [1, 2, 2, 4], "UINT3")
    with pytest.raises(FoldingError, match="SIMD=3 must divide channels=4"):
        render(model, model.graph.node[0])
