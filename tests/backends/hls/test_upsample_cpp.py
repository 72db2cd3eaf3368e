"""Upsample's C++ kernel against the op's numpy execution, bit-exactly: odd sizes, unequal
and unit factors, every legal SIMD, signed, unsigned and BIPOLAR elements, extreme values and
channel-group-major inputs; simulated cycles equal the op's cycles()."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.upsample import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu
from tests.ops.helpers import op_of, run, single_node_model


def upsample_model(h, w, c, factors, simd=1, dtype="UINT3"):
    fh, fw = factors
    return single_node_model(
        "Upsample",
        [1, h, w, c],
        [1, h * fh, w * fw, c],
        ImgDim=[h, w],
        Factor=list(factors),
        NumChannels=c,
        SIMD=simd,
        inputDataType=dtype,
        outputDataType=dtype,
    )


def frames_for(model, seed):
    op = op_of(model)
    dtype = op.input_dtype()
    shape = list(op.normal_input_shape())
    if dtype.name == "BIPOLAR":
        x = np.random.default_rng(seed).choice([-1, 1], size=(3, *shape[1:]))
        x[1], x[2] = -1, 1
        return x
    return frames_of((int(dtype.min()), int(dtype.max())), shape, seed)


CASES = [
    (3, 5, 6, (2, 2), 1, "UINT3"),
    (3, 5, 6, (2, 2), 2, "INT4"),
    (3, 5, 6, (2, 2), 3, "UINT3"),
    (3, 5, 6, (2, 2), 6, "INT8"),
    (2, 3, 4, (3, 1), 2, "INT3"),  # unequal factors
    (4, 1, 2, (1, 3), 1, "UINT1"),  # one column, rows not repeated
    (1, 1, 4, (4, 4), 4, "BIPOLAR"),  # 1x1 map, codes copied
    (5, 4, 2, (1, 1), 2, "INT2"),  # factor 1: a pass-through
]


@pytest.mark.parametrize("h,w,c,factors,simd,dtype", CASES)
def test_upsample_matches_numpy(h, w, c, factors, simd, dtype):
    model = upsample_model(h, w, c, factors, simd, dtype)
    x = frames_for(model, h * w + simd)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    result = simulate_layer(render(model, model.graph.node[0]), [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op_of(model).cycles()


@pytest.mark.parametrize("groups,simd", [(2, 2), (4, 1)])
def test_group_major_input_is_upsampled_per_group(groups, simd):
    model = upsample_model(3, 3, 8, (2, 2), simd, "INT4")
    x = frames_for(model, groups)
    expected = np.concatenate([run(model, f[None]) for f in x])
    cycles = op_of(model).cycles()
    model = behind_mvu(model, groups)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, groups)])
    np.testing.assert_array_equal(result.stream, to_group_major(expected, groups))
    assert result.cycles_per_frame == cycles


def test_illegal_foldings_are_refused_before_any_code():
    model = upsample_model(2, 2, 6, (2, 2), simd=4)
    with pytest.raises(FoldingError, match="SIMD=4 must divide channels=6"):
        render(model, model.graph.node[0])
    model = behind_mvu(upsample_model(2, 2, 8, (2, 2), simd=4), 4)
    with pytest.raises(QnnflowError, match="SIMD=4 must divide the 2 channels"):
        render(model, model.graph.node[1])
