"""StreamingConcat's C++ kernel against the op's numpy execution, bit-exactly: two and three
inputs of different channels and types (unsigned, signed, BIPOLAR widened to the output type),
every legal SIMD, odd sizes and extreme values; simulated cycles equal the op's cycles()."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.concat import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.concat import smallest_int_type
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of
from tests.ops.test_concat_upsample_duplicate import concat_model, random_of


def frames(rng, dtype: str, shape, count: int = 3) -> np.ndarray:
    """Random, then all at the type's minimum, then all at its maximum."""
    dt = DataType[dtype]
    x = np.stack([random_of(rng, dtype, shape) for _ in range(count)])
    x[1], x[2] = int(dt.min()), int(dt.max())
    return x


def check_concat(h, w, channels, dtypes, simd, seed=0):
    out = smallest_int_type([DataType[d] for d in dtypes]).name
    model = concat_model(h, w, channels, dtypes, out, simd)
    rng = np.random.default_rng(seed)
    xs = [frames(rng, d, (1, h, w, c)) for c, d in zip(channels, dtypes, strict=True)]
    xs[-1][1] = xs[-1][2].copy()  # one frame mixes one input's minimum with another's maximum
    expected = np.concatenate(
        [
            execute_onnx(model, {f"x{i}": x[f].astype(np.float32) for i, x in enumerate(xs)})["y"]
            for f in range(3)
        ]
    )
    result = simulate_layer(render(model, model.graph.node[0]), xs)
    np.testing.assert_array_equal(result.stream, expected.reshape(3, -1))
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.parametrize("simd", [1, 2, 4])
def test_two_inputs_every_legal_simd(simd):
    check_concat(3, 5, (4, 8), ("UINT3", "UINT3"), simd, seed=simd)


@pytest.mark.parametrize(
    "h,w,channels,dtypes,simd",
    [
        (3, 5, (6, 3, 9), ("UINT3", "INT4", "UINT4"), 3),  # widened to INT5
        (3, 5, (6, 3, 9), ("UINT3", "INT4", "UINT4"), 1),
        (2, 3, (2, 2), ("BIPOLAR", "UINT2"), 2),  # -1/+1 codes become INT3 values
        (1, 1, (4, 2), ("BIPOLAR", "BIPOLAR"), 2),  # all BIPOLAR: the bits pass
        (5, 1, (2, 4), ("INT8", "INT2"), 2),  # signed values sign-extended
    ],
)
def test_mixed_types_and_sizes(h, w, channels, dtypes, simd):
    check_concat(h, w, channels, dtypes, simd, seed=h + w)


def test_illegal_folding_and_group_major_inputs_are_refused():
    model = concat_model(2, 2, (4, 6), ("UINT3", "UINT3"), "UINT3", 4)
    with pytest.raises(FoldingError, match="SIMD=4 must divide channels of input 1=6"):
        render(model, model.graph.node[0])
    model = concat_model(2, 2, (4, 4), ("UINT3", "UINT3"), "UINT3", 1)
    model.rename_tensor("x0", "x")
    model = behind_mvu(model, 2)
    with pytest.raises(QnnflowError, match="input 0 arrives in 2 channel groups"):
        render(model, model.graph.node[1])
