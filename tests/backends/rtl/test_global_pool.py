"""GlobalAccPool's RTL kernel against the op's numpy execution, bit-exactly: PE=1, partial PE
and PE=C, unsigned, signed and BIPOLAR inputs, odd sizes, one pixel, sums at both ends of the
output type, a channel-group-major input (sums leave in plain channel order), random gaps and
backpressure; one input word per cycle as cycles() says; bad pools are refused."""

from __future__ import annotations

import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.global_pool import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_global_pool_cpp import inputs_and_expected, pool_model
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import op_of

CASES = [
    (3, 5, 4, "UINT3", 1),  # odd sizes, PE=1
    (3, 5, 4, "UINT3", 4),  # PE=C: one accumulator word
    (2, 3, 4, "BIPOLAR", 2),  # codes -1/+1
    (7, 7, 2, "INT8", 2),  # -128 * 49 and 127 * 49
    (1, 1, 3, "UINT8", 1),  # one pixel: the sum is the input
]


def check(code, x, expected, cycles: int, seed: int) -> None:
    """Lint-clean, bit-exact at full speed and under gaps and stalls, cycles() per frame."""
    assert lint(code) == []
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    assert cycles_close(result.cycles_per_frame, cycles), (result.cycles_per_frame, cycles)
    result = simulate_layer(code, [x], gaps=0.3, stalls=0.3, seed=seed)
    assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


@pytest.mark.parametrize("h,w,c,dtype,pe", CASES)
def test_global_acc_pool_matches_numpy(h, w, c, dtype, pe):
    model = pool_model(h, w, c, dtype, pe)
    x, expected = inputs_and_expected(model, h * w + pe)  # random, all min, all max
    dt, pixels = DataType[dtype], h * w
    assert expected[1].max() == pixels * dt.min() and expected[2].min() == pixels * dt.max()
    check(render(model, model.graph.node[0]), x, expected, op_of(model).cycles(), pe)


@pytest.mark.parametrize("groups,pe", [(2, 2), (4, 1)])
def test_group_major_inputs_are_summed_per_group(groups, pe):
    model = pool_model(3, 3, 8, "INT4", pe)
    x, expected = inputs_and_expected(model, groups)
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    code = render(model, model.graph.node[1])
    assert f"FOLDS({8 // groups // pe})" in code.wrapper  # one group's words at a time
    check(code, to_group_major(x, groups), expected, cycles, groups)  # 1x1: plain order


def test_bad_pools_are_refused_before_any_code():
    model = pool_model(2, 2, 4, "UINT3", pe=3)
    with pytest.raises(FoldingError, match="PE=3 must divide channels=4"):
        render(model, model.graph.node[0])
    model = pool_model(2, 2, 4, "UINT3", out="UINT4")
    with pytest.raises(FoldingError, match=r"UINT4 cannot hold sums in \[0, 28\]"):
        render(model, model.graph.node[0])
    model = behind_mvu(pool_model(2, 2, 8, "UINT3", pe=4), 4)
    with pytest.raises(QnnflowError, match="PE=4 must divide the 2 channels of each of the 4"):
        render(model, model.graph.node[1])
