"""StreamingAdd's RTL kernel against the op's numpy execution, bit-exactly and in the HLS
kernel's stream order: PE=1, partial and full PE, unsigned, signed and BIPOLAR inputs, sums at
both ends of the output type (min + min, max + max, min + max), a [1, C] vector, random gaps
and backpressure; one word per cycle as cycles() says; bad adds are refused before any code."""

from __future__ import annotations

import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.add import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from tests.backends.hls.test_add_cpp import add_model, inputs_and_expected
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import op_of

CASES = [
    ([1, 3, 5, 4], ("UINT3", "UINT3"), 1),  # PE=1, odd sizes
    ([1, 3, 1, 4], ("INT4", "BIPOLAR"), 2),  # partial folding, signed beside -1/+1 codes
    ([1, 2, 3, 6], ("UINT8", "INT8"), 6),  # PE=C: a ReLU branch beside an identity
    ([1, 6], ("INT8", "INT8"), 3),  # a [1, C] vector, -128 + -128 and 127 + 127
]


@pytest.mark.parametrize("shape,dtypes,pe", CASES)
def test_add_matches_numpy(shape, dtypes, pe):
    model = add_model(shape, dtypes[0], pe, dtype1=dtypes[1])
    code = render(model, model.graph.node[0])
    assert lint(code) == []
    a, b, expected = inputs_and_expected(model, pe + len(shape))
    low, high = (sum(getattr(DataType[d], end)() for d in dtypes) for end in ("min", "max"))
    assert expected.max() == high and expected.min() == low  # both ends of the sum
    result = simulate_layer(code, [a, b])
    assert_stream_equal(code.name, result.stream, expected)
    cycles = op_of(model).cycles()
    assert cycles_close(result.cycles_per_frame, cycles), (result.cycles_per_frame, cycles)
    # same build under random input gaps and output backpressure: same words, in order
    result = simulate_layer(code, [a, b], gaps=0.3, stalls=0.3, seed=pe)
    assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


def test_bad_adds_are_refused_before_any_code():
    model = add_model([1, 2, 2, 4], "UINT3", pe=3)
    with pytest.raises(FoldingError, match="PE=3 must divide channels=4"):
        render(model, model.graph.node[0])
    model = add_model([1, 2, 2, 4], "UINT3", out="UINT3")
    with pytest.raises(FoldingError, match=r"UINT3 cannot hold sums in \[0, 14\]"):
        render(model, model.graph.node[0])
    model = behind_mvu(add_model([1, 2, 2, 8], "UINT3", pe=1), 2)
    with pytest.raises(QnnflowError, match=r"different channel-group orders \(2 and 1 groups"):
        render(model, model.graph.node[1])
