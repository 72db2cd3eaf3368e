"""StreamingConcat's RTL kernel against the op's numpy execution, bit-exactly and in the HLS
kernel's word order (per pixel input 0's words, then input 1's, ...): two and three inputs of
different channels and types (unsigned, signed, BIPOLAR widened to the output type; all
BIPOLAR passing the bits), SIMD=1 and SIMD=gcd of the channels, odd sizes, extreme values,
random gaps and backpressure; one word per cycle as cycles() says; bad concats are refused."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.concat import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.concat import smallest_int_type
from tests.backends.hls.test_concat_cpp import frames
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import op_of
from tests.ops.test_concat_upsample_duplicate import concat_model

CASES = [
    (3, 5, (6, 3, 9), ("UINT3", "INT4", "UINT4"), 3),  # widened to INT5, SIMD = gcd
    (3, 5, (6, 3, 9), ("UINT3", "INT4", "UINT4"), 1),  # SIMD=1
    (2, 3, (2, 2), ("BIPOLAR", "UINT2"), 2),  # -1/+1 codes become INT3 values
    (1, 1, (4, 2), ("BIPOLAR", "BIPOLAR"), 2),  # all BIPOLAR: the bits pass
    (5, 1, (2, 4), ("INT8", "INT2"), 2),  # signed values sign-extended
]


@pytest.mark.parametrize("h,w,channels,dtypes,simd", CASES)
def test_concat_matches_numpy(h, w, channels, dtypes, simd):
    out = smallest_int_type([DataType[d] for d in dtypes]).name
    model = concat_model(h, w, channels, dtypes, out, simd)
    code = render(model, model.graph.node[0])
    assert render(model, model.graph.node[0]) == code  # deterministic
    assert lint(code) == []
    rng = np.random.default_rng(h + w + simd)
    # random, all minimum, all maximum; then frame 1 mixes one input's maximum with the
    # others' minimum
    xs = [frames(rng, d, (1, h, w, c)) for c, d in zip(channels, dtypes, strict=True)]
    xs[-1][1] = xs[-1][2].copy()
    feeds = [{f"x{i}": x[f].astype(np.float32) for i, x in enumerate(xs)} for f in range(3)]
    expected = np.stack([execute_onnx(model, feed)["y"].ravel() for feed in feeds])
    result = simulate_layer(code, xs)
    assert_stream_equal(code.name, result.stream, expected)
    cycles = op_of(model).cycles()
    assert cycles_close(result.cycles_per_frame, cycles), (result.cycles_per_frame, cycles)
    result = simulate_layer(code, xs, gaps=0.3, stalls=0.3, seed=simd)
    assert_stream_equal(f"{code.name} with gaps and stalls", result.stream, expected)


def test_bad_concats_are_refused_before_any_code():
    model = concat_model(2, 2, (4, 6), ("UINT3", "UINT3"), "UINT3", 4)
    with pytest.raises(FoldingError, match="SIMD=4 must divide channels of input 1=6"):
        render(model, model.graph.node[0])
    # BINARY 0 would read as the BIPOLAR code for -1
    model = concat_model(2, 2, (2, 2), ("BIPOLAR", "BINARY"), "BIPOLAR", 2)
    with pytest.raises(QnnflowError, match="output is BIPOLAR but input 1 is BINARY"):
        render(model, model.graph.node[0])
    model = concat_model(2, 2, (4, 4), ("UINT3", "UINT3"), "UINT3", 1)
    model.rename_tensor("x0", "x")
    model = behind_mvu(model, 2)
    with pytest.raises(QnnflowError, match="input 0 arrives in 2 channel groups"):
        render(model, model.graph.node[1])
