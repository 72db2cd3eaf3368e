"""MatrixVectorUnit's RTL kernel (qnnflow_mvu, internal weights) against the op's numpy
execution, bit-exactly and in the HLS kernel's stream order: W1A3 (the default model's hidden
layers) at partial, PE=SIMD=1 and full folding; XNOR with a sign output and without
thresholds (2p - MW); UINT8 x INT8 on DSPs (the first layer); signed INT3 activations with
signed thresholds and a negative ActVal from a BRAM ROM; an accumulator head on LUTs with odd
sizes. Thresholds sit exactly on accumulators; frames include all zeros / max / min; one case
runs with random input gaps and output backpressure; steady-state cycles == op.cycles().
Each case is one Verilator build fed many frames."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.mvu import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from tests.backends.hls.test_mvu_cpp import edge_frames, mvu_model, random_weights
from tests.backends.hls.test_xnor_mvu_cpp import bipolar_frames, on_the_popcounts
from tests.backends.rtl.helpers import assert_stream_equal
from tests.ops.helpers import op_of, run


def check(model, x: np.ndarray, gaps: float = 0.0, stalls: float = 0.0) -> np.ndarray:
    """Simulates frames `x` [frames, 1, vectors, MW]: the stream equals numpy's output (the
    internal MVU's stream order is NHWC); without gaps/stalls one frame takes op.cycles()."""
    code = render(model, model.graph.node[0])
    assert lint(code) == []
    frames = x.shape[0]
    expected = np.stack([run(model, frame) for frame in x]).reshape(frames, -1)
    result = simulate_layer(code, [x.reshape(frames, -1)], gaps=gaps, stalls=stalls)
    assert_stream_equal(code.name, result.stream, expected)
    if gaps == 0 and stalls == 0:
        assert result.cycles_per_frame == op_of(model).cycles()
    return expected


def more_frames(rng, x: np.ndarray, dtype: str, extra: int) -> np.ndarray:
    """`x` followed by `extra` random frames of the same shape."""
    dt = DataType[dtype]
    more = rng.integers(int(dt.min()), int(dt.max()) + 1, size=(extra, *x.shape[1:]))
    return np.concatenate([x, more])


def on_the_accumulators(rng, x: np.ndarray, w: np.ndarray, t: int) -> np.ndarray:
    """[MH, t] thresholds: per channel, values the first frame's accumulators take (so some
    land exactly on one), one just above and one just below."""
    acc = x[0].reshape(-1, w.shape[0]).astype(np.int64) @ w.astype(np.int64)
    rows = [rng.choice(acc[:, c], size=t - 2) for c in range(w.shape[1])]
    table = np.stack(rows)
    return np.sort(np.concatenate([table, table[:, :1] + 1, table[:, :1] - 1], axis=1), axis=1)


@pytest.mark.parametrize(
    "pe,simd,noisy",
    [(2, 3, True), (1, 1, False), (6, 12, False)],  # partial, PE=SIMD=1, full folding
)
def test_w1a3_hidden_layer_foldings(pe, simd, noisy):
    rng = np.random.default_rng(pe * 100 + simd)
    mw, mh, vectors = 12, 6, 5
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = more_frames(rng, edge_frames(rng, "UINT3", vectors, mw), "UINT3", 4)
    t = on_the_accumulators(rng, x, w, 7)
    model = mvu_model(mw, mh, pe, simd, vectors, "BIPOLAR", "UINT3", "UINT3", w, t)
    out = check(model, x)
    assert out.min() == 0 and out.max() == 7  # every count reached
    if noisy:
        check(model, x, gaps=0.3, stalls=0.3)


def test_xnor_with_a_sign_output_odd_sizes():
    rng = np.random.default_rng(27)
    mw, mh, vectors = 27, 6, 5
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, vectors, mw, frames=6)
    t = on_the_popcounts(rng, x, w, 1)
    model = mvu_model(mw, mh, 3, 9, vectors, "BIPOLAR", "BIPOLAR", "BIPOLAR", w, t)
    out = check(model, x)
    assert set(np.unique(out)) == {-1, 1}
    check(model, x, gaps=0.3, stalls=0.3)


def test_xnor_with_several_thresholds():
    rng = np.random.default_rng(16)
    mw, mh, vectors = 16, 4, 4
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, vectors, mw)
    t = on_the_popcounts(rng, x, w, 3)
    check(mvu_model(mw, mh, 4, 16, vectors, "BIPOLAR", "BIPOLAR", "UINT2", w, t), x)


def test_xnor_without_thresholds_outputs_the_bipolar_dot_product():
    rng = np.random.default_rng(15)
    mw, mh = 15, 6
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = bipolar_frames(rng, 3, mw)
    out = check(mvu_model(mw, mh, 2, 5, 3, "BIPOLAR", "BIPOLAR", "INT5", w), x)
    assert out.min() == -mw and out.max() == mw  # the all-min / all-max columns reach both


def test_signed_pixels_bipolar_weights_sign_output_wide_simd():
    """The first conv of a W1A1 net: INT8 inputs, bipolar weights (negate, no multiplier),
    a sign activation exactly on accumulators; SIMD = 70 elements per word."""
    rng = np.random.default_rng(140)
    mw, mh, vectors = 140, 4, 3
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = more_frames(rng, edge_frames(rng, "INT8", vectors, mw), "INT8", 2)
    acc = x[0, 0].astype(np.int64) @ w
    t = np.stack([[acc[c % vectors, c]] for c in range(mh)])
    model = mvu_model(mw, mh, 2, 70, vectors, "BIPOLAR", "INT8", "BIPOLAR", w, t)
    out = check(model, x)
    assert set(np.unique(out)) == {-1, 1}


def test_first_layer_uint8_pixels_int8_weights_on_dsps():
    rng = np.random.default_rng(8)
    mw, mh, vectors = 27, 4, 4  # a 3x3x3 window
    w = random_weights(rng, "INT8", mw, mh)
    x = more_frames(rng, edge_frames(rng, "UINT8", vectors, mw), "UINT8", 2)
    t = on_the_accumulators(rng, x, w, 7)
    model = mvu_model(mw, mh, 2, 3, vectors, "INT8", "UINT8", "UINT3", w, t, resType="dsp")
    assert 'USE_DSP("yes")' in render(model, model.graph.node[0]).wrapper
    check(model, x)


def test_signed_activations_signed_thresholds_from_a_bram_rom():
    """INT3 x INT4 with a negative ActVal; SIMD=1 makes the ROM (MH/PE)*(MW/SIMD) = 150 words
    deep, which ram_style auto puts in BRAM (deeper than 128)."""
    rng = np.random.default_rng(3)
    mw, mh, vectors = 30, 10, 3
    w = random_weights(rng, "INT4", mw, mh)
    x = more_frames(rng, edge_frames(rng, "INT3", vectors, mw), "INT3", 2)
    t = on_the_accumulators(rng, x, w, 7)
    model = mvu_model(mw, mh, 2, 1, vectors, "INT4", "INT3", "INT3", w, t, ActVal=-4)
    assert 'W_RAM_STYLE("block")' in render(model, model.graph.node[0]).wrapper
    out = check(model, x)
    assert out.min() == -4 and out.max() == 3


def test_accumulator_head_on_luts_odd_sizes():
    """No thresholds: the accumulator itself (int8 x int8 at its extremes), PE = MH = 7."""
    rng = np.random.default_rng(157)
    mw, mh, vectors = 15, 7, 3
    w = random_weights(rng, "INT8", mw, mh)
    x = more_frames(rng, edge_frames(rng, "INT8", vectors, mw), "INT8", 2)
    model = mvu_model(mw, mh, 7, 5, vectors, "INT8", "INT8", "INT19", w, resType="lut")
    assert 'USE_DSP("no")' in render(model, model.graph.node[0]).wrapper
    out = check(model, x)
    assert np.abs(out).max() == mw * 128 * 128  # all-minimum inputs times -128 weights


def test_weight_and_threshold_files_hold_the_folded_words():
    """2x4 INT2 weights, PE=2, SIMD=1: ROM word nf*SF + sf packs lane 0's code lowest;
    a threshold word packs lane 0's T thresholds lowest (ACC_BITS + 1 bits each)."""
    w = np.array([[1, -1, -2, 0], [0, 1, 1, -2]])  # [MW=2, MH=4]
    t = np.array([[-3], [2], [0], [1]])
    model = mvu_model(2, 4, 2, 1, 1, "INT2", "UINT2", "UINT1", w, t)
    code = render(model, model.graph.node[0])
    # words: (nf0,sf0)=ch0,ch1 of input 0 -> codes 1, 3; (nf0,sf1) -> 0, 1;
    # (nf1,sf0)=ch2,ch3 -> 2, 0; (nf1,sf1) -> 1, 2. Each code 2 bits, lane 0 low.
    assert code.files["L_MatrixVectorUnit_0_weights.mem"].split() == ["d", "4", "2", "9"]
    # ACC_BITS: 2 * 2 * 3 = 12 -> 5 bits, thresholds of 6 bits: (-3, 2) and (0, 1)
    assert code.files["L_MatrixVectorUnit_0_thresholds.mem"].split() == ["0bd", "040"]


def test_rendering_is_deterministic():
    rng = np.random.default_rng(1)
    w = random_weights(rng, "BIPOLAR", 12, 6)
    t = on_the_accumulators(rng, edge_frames(rng, "UINT3", 2, 12), w, 4)
    model = mvu_model(12, 6, 2, 3, 2, "BIPOLAR", "UINT3", "UINT3", w, t)
    assert render(model, model.graph.node[0]) == render(model, model.graph.node[0])


def test_refusals_name_the_layer_before_any_verilog():
    w = np.ones((12, 6))
    bad_fold = mvu_model(12, 6, 4, 5, 1, "BIPOLAR", "UINT3", "INT6", w)
    with pytest.raises(FoldingError, match="'MatrixVectorUnit_0': PE=4 must divide"):
        render(bad_fold, bad_fold.graph.node[0])
    wraps = mvu_model(12, 6, 1, 1, 1, "BIPOLAR", "UINT2", "INT4", w)
    with pytest.raises(QnnflowError, match="the accumulator spans \\[0, 36\\]"):
        render(wraps, wraps.graph.node[0])


@pytest.mark.slow
def test_conv_sized_w1a3_layer():
    """A 3x3x32 -> 64 conv layer on 16 pixels, PE=8, SIMD=16 (a 144-word BRAM ROM): bit-exact,
    one frame per op.cycles() cycles, and prints the measured latency (run with -s)."""
    rng = np.random.default_rng(288)
    mw, mh, vectors = 288, 64, 16
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = more_frames(rng, edge_frames(rng, "UINT3", vectors, mw), "UINT3", 2)
    t = on_the_accumulators(rng, x, w, 7)
    model = mvu_model(mw, mh, 8, 16, vectors, "BIPOLAR", "UINT3", "UINT3", w, t)
    check(model, x)
    code = render(model, model.graph.node[0])
    result = simulate_layer(code, [x.reshape(x.shape[0], -1)])
    print(f"\ncycles/frame {result.cycles_per_frame}, latency {result.latency}")
