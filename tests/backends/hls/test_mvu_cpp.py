"""MatrixVectorUnit's C++ kernels against the op's numpy execution, bit-exactly: every legal
folding of a 12x6 layer, bipolar and 2..8-bit weights, unsigned and signed inputs, with and
without thresholds (some exactly at accumulator values), saturating edge inputs, odd sizes,
on-chip and DDR-streamed weights, the synthesised ap_int datapath too, and cycles == op.cycles().
Each distinct weight matrix is a distinct compile, so one compile runs several input frames."""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np
import pytest
from qonnx.core.datatype import DataType

from qnnflow.backends.hls.layer_code import LayerCode
from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.mvu import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from tests.ops.helpers import op_of, run, single_node_model


def mvu_model(mw, mh, pe, simd, vectors, wdt, idt, odt, weights, thresholds=None, **attrs):
    init = {"W": weights.astype(np.float32)}
    if thresholds is not None:
        init["T"] = thresholds.astype(np.float32)
    return single_node_model(
        "MatrixVectorUnit",
        [1, vectors, mw],
        [1, vectors, mh],
        init,
        MW=mw,
        MH=mh,
        PE=pe,
        SIMD=simd,
        numInputVectors=[1, vectors],
        weightDataType=wdt,
        numThresholds=0 if thresholds is None else thresholds.shape[1],
        inputDataType=idt,
        outputDataType=odt,
        **attrs,
    )


def random_weights(rng, wdt: str, mw: int, mh: int) -> np.ndarray:
    """Random weights of the type, with one all-minimum and one all-maximum column."""
    dtype = DataType[wdt]
    if dtype == DataType["BIPOLAR"]:
        w = rng.choice([-1, 1], size=(mw, mh))
    else:
        w = rng.integers(dtype.min(), dtype.max() + 1, size=(mw, mh))
    w[:, 0] = dtype.min()
    w[:, -1] = dtype.max()
    return w


def edge_frames(rng, idt: str, vectors: int, mw: int, frames: int = 4) -> np.ndarray:
    """Random frames, then all zeros, all maximum, and all minimum / alternating extremes."""
    dtype = DataType[idt]
    low, high = int(dtype.min()), int(dtype.max())
    x = rng.integers(low, high + 1, size=(frames, 1, vectors, mw))
    x[1] = 0
    x[2] = high
    x[3] = low
    x[3, 0, 0, ::2] = high  # mixed extremes in the first vector
    return x


def simulate(model, x: np.ndarray, ap_datapath: bool = False, fast: bool = False):
    """The kernel's output in NHWC order (group-major output reordered) and its cycles
    (None in the fast mode)."""
    op = op_of(model)
    code = render(model, model.graph.node[0])
    if ap_datapath:
        code = with_ap_datapath(code)
    frames = x.shape[0]
    feed = x.reshape(frames, -1)
    groups = op.get_nodeattr("MH") // op.get_nodeattr("PE")
    streamed = op.get_nodeattr("mem_mode") == "stream_ddr"
    if streamed:
        feed = np.tile(feed, (1, groups))  # the SlidingWindow in front replays the frame
    result = simulate_layer(code, [feed], fast=fast)
    out = result.stream
    if streamed:  # channel-group-major -> NHWC
        vectors, pe = out.shape[1] // op.get_nodeattr("MH"), op.get_nodeattr("PE")
        out = out.reshape(frames, groups, vectors, pe).transpose(0, 2, 1, 3)
    return out.reshape(frames, -1), result.cycles_per_frame


def with_ap_datapath(code: LayerCode) -> LayerCode:
    """The same layer simulated with the ap_int types that synthesis uses (datapath.hpp)."""
    flag = "qnnflow_ap_datapath.hpp"
    return dataclasses.replace(
        code,
        includes=(flag, *code.includes),
        files={**code.files, flag: "#define QNNFLOW_AP_DATAPATH\n"},
    )


def check(model, x, ap_datapath: bool = False) -> np.ndarray:
    expected = np.stack([run(model, frame) for frame in x]).reshape(x.shape[0], -1)
    out, cycles = simulate(model, x, ap_datapath)
    np.testing.assert_array_equal(out, expected)
    assert cycles == op_of(model).cycles()
    return expected


def sorted_thresholds(rng, mh: int, t: int, span: int) -> np.ndarray:
    return np.sort(rng.integers(-span, span + 1, size=(mh, t)), axis=1)


ALL_FOLDINGS = list(itertools.product([1, 2, 3, 6], [1, 2, 3, 4, 6, 12]))
QUICK_FOLDINGS = [(1, 1), (6, 12), (2, 3), (3, 4), (6, 1)]


def folding_case(pe: int, simd: int, mem_mode: str = "internal") -> None:
    rng = np.random.default_rng(pe * 100 + simd)
    w = random_weights(rng, "BIPOLAR", 12, 6)
    t = sorted_thresholds(rng, 6, 7, 30)
    model = mvu_model(12, 6, pe, simd, 5, "BIPOLAR", "UINT3", "UINT3", w, t, mem_mode=mem_mode)
    check(model, edge_frames(rng, "UINT3", 5, 12))


@pytest.mark.parametrize("pe,simd", QUICK_FOLDINGS)
def test_foldings_of_a_12x6_layer(pe, simd):
    folding_case(pe, simd)


@pytest.mark.slow
@pytest.mark.parametrize("mem_mode", ["internal", "stream_ddr"])
@pytest.mark.parametrize("pe,simd", ALL_FOLDINGS)
def test_every_legal_folding_of_a_12x6_layer(pe, simd, mem_mode):
    folding_case(pe, simd, mem_mode)


@pytest.mark.parametrize(
    "wdt,idt,mw,mh,pe,simd",
    [
        ("INT2", "INT4", 12, 6, 2, 4),
        ("INT4", "UINT3", 15, 7, 7, 5),  # odd sizes
        ("INT8", "INT8", 20, 4, 2, 10),  # a product as large as 128 * 128
        ("UINT2", "INT3", 9, 3, 3, 3),  # unsigned weights, widened to signed
        ("BIPOLAR", "INT4", 140, 4, 2, 70),  # signed inputs, 70 lanes: two 64-bit planes
    ],
)
def test_accumulator_output_of_multibit_weights(wdt, idt, mw, mh, pe, simd):
    rng = np.random.default_rng(mw * mh)
    w = random_weights(rng, wdt, mw, mh)
    # The tightest output type: the all-minimum/maximum columns and inputs reach its ends.
    acc_max = (
        mw
        * max(abs(DataType[wdt].min()), DataType[wdt].max())
        * max(abs(DataType[idt].min()), DataType[idt].max())
    )
    odt = f"INT{int(acc_max).bit_length() + 1}"
    model = mvu_model(mw, mh, pe, simd, 3, wdt, idt, odt, w)
    expected = check(model, edge_frames(rng, idt, 3, mw))
    assert np.abs(expected).max() > 2 ** (int(acc_max).bit_length() - 1)  # near saturation


def test_thresholds_exactly_at_accumulator_values_and_negative_actval():
    rng = np.random.default_rng(3)
    mw, mh, vectors = 10, 4, 6
    w = random_weights(rng, "INT3", mw, mh)
    x = edge_frames(rng, "INT4", vectors, mw)
    acc = x[0, 0].astype(np.int64) @ w  # the random frame's accumulators
    t = np.stack([np.sort(rng.choice(acc[:, c], size=3)) for c in range(mh)])
    t = np.concatenate([t, t[:, :1] + 1, t[:, :1] - 1], axis=1)  # at, above and below
    model = mvu_model(mw, mh, 2, 5, vectors, "INT3", "INT4", "INT3", w, t, ActVal=-2)
    check(model, x)


@pytest.mark.parametrize(
    "wdt,idt,mw,mh,pe,simd,thresholds",
    [
        ("BIPOLAR", "UINT3", 12, 6, 2, 3, True),
        ("INT4", "INT2", 9, 10, 5, 9, False),  # odd sizes, accumulator output
        ("BIPOLAR", "UINT2", 24, 12, 6, 12, True),  # 72-bit slice words: two DDR words each
    ],
)
def test_weights_streamed_from_ddr(wdt, idt, mw, mh, pe, simd, thresholds):
    rng = np.random.default_rng(mw + pe)
    w = random_weights(rng, wdt, mw, mh)
    t = sorted_thresholds(rng, mh, 3, 20) if thresholds else None
    odt = "UINT2" if thresholds else "INT9"
    model = mvu_model(mw, mh, pe, simd, 7, wdt, idt, odt, w, t, mem_mode="stream_ddr")
    check(model, edge_frames(rng, idt, 7, mw))


def test_stream_ddr_layer_declares_its_ddr_port():
    rng = np.random.default_rng(0)
    w = random_weights(rng, "BIPOLAR", 24, 12)
    model = mvu_model(24, 12, 6, 12, 7, "BIPOLAR", "UINT2", "INT8", w, mem_mode="stream_ddr")
    code = render(model, model.graph.node[0])
    (port,) = code.mm_ports
    assert (port.name, port.word_bits, port.depth) == ("L_MatrixVectorUnit_0_wddr", 64, 2 * 2 * 2)
    assert code.inputs[0].words == 2 * 7 * 24 // 12  # the input carries the frame MH/PE times
    assert "mvu_stream_ddr" in code.body and "L_MatrixVectorUnit_0_wddr" in code.body


@pytest.mark.parametrize(
    "mem_mode,wdt,idt", [("internal", "BIPOLAR", "INT3"), ("stream_ddr", "INT4", "UINT4")]
)
def test_synthesised_ap_int_datapath_matches_too(mem_mode, wdt, idt):
    rng = np.random.default_rng(11)
    w = random_weights(rng, wdt, 12, 6)
    t = sorted_thresholds(rng, 6, 3, 40)
    model = mvu_model(12, 6, 3, 4, 4, wdt, idt, "UINT2", w, t, mem_mode=mem_mode)
    check(model, edge_frames(rng, idt, 4, 12), ap_datapath=True)


def test_illegal_folding_is_refused_before_any_code():
    w = np.ones((12, 6))
    model = mvu_model(12, 6, 4, 5, 1, "BIPOLAR", "UINT3", "INT6", w)
    with pytest.raises(
        FoldingError, match="MatrixVectorUnit 'MatrixVectorUnit_0': PE=4 must divide"
    ):
        render(model, model.graph.node[0])


@pytest.mark.parametrize(
    "odt,t,message",
    [
        ("INT4", None, "the accumulator spans \\[0, 36\\]"),
        ("UINT2", np.zeros((6, 4)), "count\\(value >= t\\) \\+ ActVal spans \\[0, 4\\]"),
    ],
)
def test_output_types_that_would_wrap_are_refused(odt, t, message):
    w = np.ones((12, 6))
    model = mvu_model(12, 6, 1, 1, 1, "BIPOLAR", "UINT2", odt, w, t)
    with pytest.raises(QnnflowError, match=message):
        render(model, model.graph.node[0])


def test_bipolar_inputs_without_bipolar_weights_are_refused():
    model = mvu_model(4, 2, 1, 1, 1, "INT2", "BIPOLAR", "INT4", np.ones((4, 2)))
    with pytest.raises(QnnflowError, match="BIPOLAR inputs need BIPOLAR weights"):
        render(model, model.graph.node[0])


@pytest.mark.slow
@pytest.mark.parametrize("mem_mode", ["internal", "stream_ddr"])
def test_tinier_yolo_sized_layer(mem_mode):
    """conv7-like: 13x13 pixels, 3x3x256 -> 512, PE=16, SIMD=32, W1A3, 7 thresholds; prints
    the simulation's frames per second (run with -s): compile excluded, but the harness's file
    I/O included (for stream_ddr that is MH/PE = 32 copies of the input frame)."""
    rng = np.random.default_rng(7)
    mw, mh, pixels, frames = 3 * 3 * 256, 512, 13 * 13, 2
    w = random_weights(rng, "BIPOLAR", mw, mh)
    t = sorted_thresholds(rng, mh, 7, 150)
    model = mvu_model(mw, mh, 16, 32, pixels, "BIPOLAR", "UINT3", "UINT3", w, t, mem_mode=mem_mode)
    x = rng.integers(0, 8, size=(frames, 1, pixels, mw))
    expected = np.stack([run(model, frame) for frame in x]).reshape(frames, -1)
    simulate(model, x[:1])  # compiles
    start = time.perf_counter()
    out, cycles = simulate(model, x)
    seconds = (time.perf_counter() - start) / frames
    np.testing.assert_array_equal(out, expected)
    assert cycles == op_of(model).cycles() == pixels * (mw // 32) * (mh // 16)
    print(f"\n{mem_mode}: {seconds:.3f} s per frame ({1 / seconds:.1f} frames/s)")
