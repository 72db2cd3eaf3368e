"""StreamingMaxPool's RTL kernel against the op's numpy execution, bit-exactly and in the
HLS kernel's word order: Darknet's 2x2 stride-1 pool with a right/bottom pad, 2x2 stride 2
on odd sizes, 3x3 kernels with pads, signed inputs whose pads must not win, BIPOLAR codes,
PE=1, partial PE and PE=C, channel-group-major inputs, random gaps and backpressure; one
padded input cell per cycle (the op's cycles())."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.maxpool import render
from qnnflow.errors import QnnflowError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_maxpool_cpp import expected_and_input, pool_model
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
        result = simulate_layer(code, [x], gaps=stalls, stalls=stalls, seed=7)
        assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


CASES = [
    (13, 13, 2, 1, [0, 0, 1, 1], 2, "UINT3", 0.3),  # Darknet 2x2 stride 1: pad right/bottom
    (7, 5, 2, 2, [0, 0, 1, 1], 4, "INT4", 0.0),  # odd sizes, stride 2, PE=C, negatives
    (6, 7, 3, 1, [1, 1, 1, 1], 1, "INT3", 0.3),  # 3x3 stride 1, PE=1: 3x3 banks
    pytest.param(8, 8, 2, 2, [0, 0, 0, 0], 1, "UINT3", 0.0, marks=pytest.mark.slow),
    pytest.param(7, 7, 3, 2, [1, 1, 1, 1], 4, "INT8", 0.0, marks=pytest.mark.slow),
    pytest.param(5, 4, 3, 2, [2, 0, 0, 2], 1, "INT4", 0.0, marks=pytest.mark.slow),
    pytest.param(1, 1, 2, 1, [0, 0, 1, 1], 4, "UINT3", 0.0, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("h,w,k,s,pads,pe,dtype,stalls", CASES)
def test_maxpool_matches_numpy(h, w, k, s, pads, pe, dtype, stalls):
    model = pool_model(h, w, 4, k, s, pads, pe, dtype)
    x, expected = expected_and_input(model, h * w + k, negative=dtype.startswith("INT"))
    code = render(model, model.graph.node[0])
    check(code, x, expected.reshape(3, -1), op_of(model).cycles(), stalls)


@pytest.mark.parametrize(
    "groups,pe,k,s", [(2, 2, 2, 1), pytest.param(4, 1, 2, 2, marks=pytest.mark.slow)]
)
def test_group_major_input_is_pooled_per_group(groups, pe, k, s):
    model = pool_model(7, 5, 8, k, s, [0, 0, 1, 1], pe, "INT4")
    x, expected = expected_and_input(model, groups, negative=True)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    code = render(model, model.graph.node[1])
    check(code, to_group_major(x, groups), to_group_major(expected, groups), cycles, 0.3)


@pytest.mark.parametrize("k,s,pads,pe", [(2, 2, [0, 0, 0, 0], 2), (3, 2, [1, 1, 1, 1], 4)])
def test_bipolar_maps_pool_their_bits(k, s, pads, pe):
    """max of -1/+1 = OR of the one-bit codes; a pad cell (code 0 = -1) never beats a -1."""
    model = pool_model(6, 5, 4, k, s, pads, pe, "BIPOLAR")
    rng = np.random.default_rng(k + pe)
    x = rng.choice([-1, 1], size=(3, 1, 6, 5, 4))
    x[1] = -1  # all -1: pads must not turn a window into anything else
    x[2] = np.where(rng.random((1, 6, 5, 4)) < 0.1, 1, -1)  # sparse +1s
    expected = np.concatenate([run(model, f) for f in x]).reshape(3, -1)
    assert set(np.unique(expected)) == {-1, 1}
    code = render(model, model.graph.node[0])
    check(code, x[:, 0], expected, op_of(model).cycles())


def test_refusals_name_the_layer_before_any_code():
    model = pool_model(4, 4, 4, 2, 2, [0, 0, 2, 0])
    with pytest.raises(QnnflowError, match="padding must be smaller than the kernel"):
        render(model, model.graph.node[0])
    model = behind_mvu(pool_model(4, 4, 8, 2, 2, [0, 0, 0, 0], pe=4), 4)
    with pytest.raises(QnnflowError, match="PE=4 must divide the 2 channels"):
        render(model, model.graph.node[1])


def test_render_is_deterministic():
    model = pool_model(7, 5, 4, 2, 1, [0, 0, 1, 1], 2, "INT4")
    assert render(model, model.graph.node[0]) == render(model, model.graph.node[0])
