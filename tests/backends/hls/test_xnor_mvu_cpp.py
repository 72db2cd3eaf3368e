"""XNOR-mode MatrixVectorUnit (BIPOLAR inputs and weights, popcount thresholds) and bipolar
outputs: the C++ kernels against the op's numpy execution bit-exactly, on random frames and
the edges (all -1, all +1, alternating), thresholds exactly on popcounts, odd MW, SIMD < MW,
PE < MH, 64-lane limbs with and without a tail, no thresholds (x.W out), DDR-streamed
weights and the synthesised ap_int datapath."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.errors import QnnflowError
from qnnflow.ops.bipolar import xnor_popcount
from tests.backends.hls.test_mvu_cpp import check, mvu_model, random_weights, render


def bipolar_frames(rng, vectors: int, mw: int, frames: int = 4) -> np.ndarray:
    """Random -1/+1 frames, then all -1, all +1, and alternating signs."""
    x = rng.choice([-1, 1], size=(frames, 1, vectors, mw))
    x[1] = -1
    x[2] = 1
    x[3, 0, :, ::2] = -1
    x[3, 0, :, 1::2] = 1
    return x


def popcounts(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each vector's popcount(XNOR) per output channel: [vectors, MH]."""
    return xnor_popcount(x.reshape(-1, w.shape[0]) @ w, w.shape[0]).astype(np.int64)


def on_the_popcounts(rng, x: np.ndarray, w: np.ndarray, t: int) -> np.ndarray:
    """Per channel, t thresholds drawn from the first frame's popcounts (sorted), so some
    accumulators land exactly on a threshold; 0 and MW + 1 (always / never) mixed in."""
    counts = popcounts(x[0], w)
    mh, mw = w.shape[1], w.shape[0]
    rows = [np.sort(rng.choice(counts[:, c], size=t)) for c in range(mh)]
    table = np.stack(rows)
    table[0, 0], table[-1, -1] = 0, mw + 1
    return np.sort(table, axis=1)


@pytest.mark.parametrize(
    "mw,mh,pe,simd,t,odt",
    [
        (27, 6, 2, 9, 1, "BIPOLAR"),  # odd MW (3x3x3), SIMD < MW, PE < MH, a sign output
        (16, 4, 4, 16, 3, "UINT2"),  # whole rows at once, several thresholds
        (140, 3, 1, 70, 1, "BIPOLAR"),  # 70 lanes: a full 64-bit limb and a tail of 6
        (128, 2, 2, 64, 2, "UINT2"),  # exactly two limbs per lane word... of 64
    ],
)
def test_xnor_with_thresholds(mw, mh, pe, simd, t, odt):
    rng = np.random.default_rng(mw * 7 + mh)
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, 5, mw)
    thresholds = on_the_popcounts(rng, x, w, t)
    model = mvu_model(mw, mh, pe, simd, 5, "BIPOLAR", "BIPOLAR", odt, w, thresholds)
    out = check(model, x)
    if odt == "BIPOLAR":
        assert set(np.unique(out)) == {-1, 1}


@pytest.mark.parametrize("pe,simd", [(1, 1), (3, 5), (6, 15)])
def test_xnor_without_thresholds_outputs_the_bipolar_dot_product(pe, simd):
    rng = np.random.default_rng(pe + simd)
    mw, mh = 15, 6
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, 3, mw)
    model = mvu_model(mw, mh, pe, simd, 3, "BIPOLAR", "BIPOLAR", "INT5", w)
    out = check(model, x)
    np.testing.assert_array_equal(out[1].reshape(3, mh), -np.ones((3, mw)) @ w)
    assert out.min() == -mw and out.max() == mw  # the all-min / all-max columns reach both


def test_xnor_streamed_from_ddr_and_on_the_ap_int_datapath():
    rng = np.random.default_rng(5)
    mw, mh = 36, 8
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, 4, mw)
    t = on_the_popcounts(rng, x, w, 1)
    ddr = mvu_model(mw, mh, 4, 12, 4, "BIPOLAR", "BIPOLAR", "BIPOLAR", w, t, mem_mode="stream_ddr")
    check(ddr, x)
    chip = mvu_model(mw, mh, 2, 9, 4, "BIPOLAR", "BIPOLAR", "BIPOLAR", w, t)
    check(chip, x, ap_datapath=True)
    dot = mvu_model(mw, mh, 2, 9, 4, "BIPOLAR", "BIPOLAR", "INT7", w)
    check(dot, x, ap_datapath=True)


def test_multibit_input_with_a_bipolar_output():
    """The first conv of a W1A1 net: 8-bit pixels, bipolar weights, a sign activation."""
    rng = np.random.default_rng(8)
    mw, mh = 27, 4
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = rng.integers(-128, 128, size=(3, 1, 6, mw))
    acc = x[0, 0] @ w
    t = np.stack([[acc[c % 6, c]] for c in range(mh)])  # exactly on an accumulator
    model = mvu_model(mw, mh, 2, 9, 6, "BIPOLAR", "INT8", "BIPOLAR", w, t)
    check(model, x)
    check(model, x, ap_datapath=True)


@pytest.mark.parametrize(
    "odt,t,act_val,message",
    [
        ("BIPOLAR", np.zeros((2, 2)), 0, "a BIPOLAR output needs exactly one threshold"),
        ("BIPOLAR", np.zeros((2, 1)), 1, "ActVal=1"),
        ("BIPOLAR", None, 0, "numThresholds=0"),
        ("INT4", None, 0, "the accumulator spans \\[-4, 4\\]"),
    ],
)
def test_bipolar_outputs_that_cannot_be_emitted_are_refused(odt, t, act_val, message):
    model = mvu_model(4, 2, 1, 1, 1, "BIPOLAR", "BIPOLAR", odt, np.ones((4, 2)), t, ActVal=act_val)
    if odt == "INT4":  # INT3 holds [-4, 3] only: the renderer's range check
        model = mvu_model(4, 2, 1, 1, 1, "BIPOLAR", "BIPOLAR", "INT3", np.ones((4, 2)))
    with pytest.raises(QnnflowError, match=message):
        render(model, model.graph.node[0])
