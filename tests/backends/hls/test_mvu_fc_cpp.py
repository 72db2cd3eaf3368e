"""A fully connected MatrixVectorUnit (numInputVectors [1], no window in front) in C++
simulation against its numpy execution, bit-exactly: PE = MH, SIMD = MW, SIMD < MW and
PE < MH, thresholds or the accumulator as output, random and edge inputs, and a layer
reading a flattened [1, H, W, C] map as one vector."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.mvu import accumulator_range, render
from tests.backends.hls.test_mvu_cpp import random_weights, sorted_thresholds
from tests.ops.helpers import op_of, run, single_node_model


def fc_model(in_shape, mh, pe, simd, wdt, idt, odt, weights, thresholds=None, act_val=0):
    mw = int(np.prod(in_shape[1:]))
    init = {"W": weights.astype(np.float32)}
    if thresholds is not None:
        init["T"] = thresholds.astype(np.float32)
    return single_node_model(
        "MatrixVectorUnit",
        list(in_shape),
        [1, mh],
        init,
        MW=mw,
        MH=mh,
        PE=pe,
        SIMD=simd,
        numInputVectors=[1],
        weightDataType=wdt,
        numThresholds=0 if thresholds is None else thresholds.shape[1],
        ActVal=act_val,
        inputDataType=idt,
        outputDataType=odt,
    )


def frames(rng, idt: str, shape, count: int = 6) -> np.ndarray:
    """Random frames, then all zeros, all maximum, all minimum and alternating extremes."""
    dtype = DataType[idt]
    low, high = int(dtype.min()), int(dtype.max())
    x = rng.integers(low, high + 1, size=(count, *shape))
    x[1], x[2], x[3] = 0, high, low
    x[4].reshape(-1)[::2] = high
    x[4].reshape(-1)[1::2] = low
    return x


def check(model, x: np.ndarray) -> np.ndarray:
    expected = np.stack([run(model, frame) for frame in x]).reshape(x.shape[0], -1)
    result = simulate_layer(render(model, model.graph.node[0]), [x.reshape(x.shape[0], -1)])
    np.testing.assert_array_equal(result.stream.reshape(x.shape[0], -1), expected)
    assert result.cycles_per_frame == op_of(model).cycles()
    return expected


def acc_dtype(weights, idt: str) -> str:
    low, high = accumulator_range(weights, DataType[idt])
    return f"INT{max(abs(low), high + 1).bit_length() + 1}"


@pytest.mark.parametrize(
    "mw,mh,pe,simd,wdt,idt",
    [
        (24, 8, 8, 24, "INT2", "INT2"),  # PE = MH, SIMD = MW: one cycle per frame
        (24, 8, 2, 6, "INT2", "INT2"),  # SIMD < MW and PE < MH
        (30, 10, 5, 1, "BIPOLAR", "INT2"),  # TFC-W1A2-like: bipolar weights, signed input
        pytest.param(16, 6, 1, 16, "INT3", "UINT4", marks=pytest.mark.slow),
    ],
)
def test_fc_layer_with_thresholds(mw, mh, pe, simd, wdt, idt):
    rng = np.random.default_rng(mw * pe + simd)
    w = random_weights(rng, wdt, mw, mh)
    t = sorted_thresholds(rng, mh, 2, mw * 2)
    model = fc_model([1, mw], mh, pe, simd, wdt, idt, "INT2", w, t, act_val=-1)
    out = check(model, frames(rng, idt, [1, mw]))
    assert set(np.unique(out)) <= {-1, 0, 1} and len(np.unique(out)) > 1


@pytest.mark.parametrize("pe,simd", [(10, 64), (2, 16), pytest.param(1, 1, marks=pytest.mark.slow)])
def test_last_fc_layer_outputs_its_accumulator(pe, simd):
    rng = np.random.default_rng(pe + simd)
    w = random_weights(rng, "INT2", 64, 10)
    odt = acc_dtype(w, "INT2")
    model = fc_model([1, 64], 10, pe, simd, "INT2", "INT2", odt, w)
    out = check(model, frames(rng, "INT2", [1, 64]))
    low, high = accumulator_range(w, DataType["INT2"])
    assert out.min() == low and out.max() == high  # the edge frames reach both ends


def test_fc_layer_reads_a_flattened_map():
    rng = np.random.default_rng(5)
    w = random_weights(rng, "INT2", 2 * 3 * 4, 6)
    t = sorted_thresholds(rng, 6, 3, 20)
    model = fc_model([1, 2, 3, 4], 6, 3, 4, "INT2", "UINT2", "UINT2", w, t)
    check(model, frames(rng, "UINT2", [1, 2, 3, 4]))
