"""The RTL MatrixVectorUnit with weights streamed from DDR (mem_mode stream_ddr) against the
op's numpy execution, bit-exactly, in the group-major stream order of the HLS kernel: W1A3
with thresholds on, above and below reached accumulators (72-bit slice words: two DDR words
each), multi-bit weights with accumulator output (slice words narrower than 64 bits), XNOR,
signed inputs, PE=SIMD=1, several frames, edge inputs, random DDR and stream gaps and
backpressure, a reader-bound layer, and cycles per frame against op.cycles()."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.backends.hls import params
from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops import render_node
from qnnflow.errors import QnnflowError
from qnnflow.packing import to_group_major
from tests.backends.hls.test_mvu_cpp import (
    ALL_FOLDINGS,
    edge_frames,
    mvu_model,
    random_weights,
    sorted_thresholds,
)
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.backends.rtl.test_mvu import on_the_accumulators
from tests.ops.helpers import op_of, run

VECTORS = 7


def expected_stream(model, x: np.ndarray) -> np.ndarray:
    """numpy's outputs per frame, channel-group-major as the kernel emits them."""
    op = op_of(model)
    groups = op.get_nodeattr("MH") // op.get_nodeattr("PE")
    out = np.stack([run(model, frame) for frame in x])  # [frames, 1, vectors, MH]
    return np.stack([to_group_major(frame, groups) for frame in out]).reshape(x.shape[0], -1)


def feed(model, x: np.ndarray) -> np.ndarray:
    """The input stream: the SlidingWindow in front replays each frame MH/PE times."""
    op = op_of(model)
    groups = op.get_nodeattr("MH") // op.get_nodeattr("PE")
    return np.tile(x.reshape(x.shape[0], -1), (1, groups))


def check(model, x: np.ndarray, **sim) -> int:
    code = render_node(model, model.graph.node[0])
    result = simulate_layer(code, [feed(model, x)], **sim)
    assert_stream_equal(code.name, result.stream, expected_stream(model, x))
    return result.cycles_per_frame


CASES = {  # name: (wdt, idt, odt, mw, mh, pe, simd, thresholds)
    "w1a3_thresholds_72bit_slices": ("BIPOLAR", "UINT3", "UINT2", 24, 12, 6, 12, True),
    "int4_accumulator_36bit_slices": ("INT4", "INT2", "INT9", 9, 10, 1, 9, False),
    # 20 DDR words from DDR_BASE = 0x...f80: the reader must split a burst at 4 KiB
    "int3_simd1_pe1": ("INT3", "INT4", "INT9", 5, 4, 1, 1, False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_stream_ddr_layer_matches_numpy(case):
    wdt, idt, odt, mw, mh, pe, simd, with_t = CASES[case]
    rng = np.random.default_rng(mw * mh + pe)
    w = random_weights(rng, wdt, mw, mh)
    x = edge_frames(rng, idt, VECTORS, mw, frames=6)
    t = on_the_accumulators(rng, x, w, 3) if with_t else None  # on, above, below
    model = mvu_model(mw, mh, pe, simd, VECTORS, wdt, idt, odt, w, t, mem_mode="stream_ddr")
    cycles = check(model, x)
    estimate = op_of(model).cycles()
    assert cycles_close(cycles, estimate), (cycles, estimate)
    check(model, x, gaps=0.3, stalls=0.3, seed=5)  # the same build: DDR and streams stutter


def test_xnor_without_thresholds_and_with_thresholds_on_accumulator_values():
    rng = np.random.default_rng(11)
    mw, mh, pe, simd = 16, 4, 2, 8
    w = random_weights(rng, "BIPOLAR", mw, mh)
    x = rng.choice([-1, 1], size=(4, 1, VECTORS, mw))
    dot = mvu_model(
        mw, mh, pe, simd, VECTORS, "BIPOLAR", "BIPOLAR", "INT6", w, mem_mode="stream_ddr"
    )
    check(dot, x, stalls=0.2)
    popcounts = (x[0, 0] @ w + mw) // 2  # thresholds exactly on reached popcounts
    t = np.sort(popcounts[:2].T, axis=1)
    model = mvu_model(
        mw, mh, pe, simd, VECTORS, "BIPOLAR", "BIPOLAR", "UINT2", w, t, mem_mode="stream_ddr"
    )
    check(model, x)


def test_wrapper_is_lint_clean_and_deterministic_with_the_contract_ports():
    rng = np.random.default_rng(0)
    w = random_weights(rng, "BIPOLAR", 24, 12)
    t = sorted_thresholds(rng, 12, 3, 20)
    model = mvu_model(24, 12, 6, 12, 7, "BIPOLAR", "UINT3", "UINT2", w, t, mem_mode="stream_ddr")
    node = model.graph.node[0]
    code = render_node(model, node)
    assert code == render_node(model, node)
    (port,) = code.mm_ports
    assert (port.name, port.word_bits, port.depth) == ("L_MatrixVectorUnit_0_wddr", 64, 2 * 2 * 2)
    codes, bits = params.mvu_weight_codes(model, node)
    image = params.ddr_image(codes, 6, 12, bits)
    words = [int(line, 16) for line in code.files[port.image_file].split()]
    assert words == list(np.asarray(image).view("<u8"))  # the host's image, word for word
    for signal in ("araddr", "arlen", "rdata", "rlast", "rready"):
        assert f"m_axi_{port.name}_{signal}" in code.wrapper
    assert f"{port.name}_base" in code.wrapper
    assert lint(code) == []


def test_slice_words_wider_than_a_stream_are_refused():
    w = np.ones((1024, 16))
    model = mvu_model(1024, 16, 16, 1024, 1, "INT4", "UINT2", "INT16", w, mem_mode="stream_ddr")
    with pytest.raises(QnnflowError, match="slice word"):
        render_node(model, model.graph.node[0])


def test_a_reader_bound_layer_runs_at_one_ddr_word_per_cycle():
    """One vector per frame and two DDR words per slice word: cycles() (compute) is half the
    reader's time; the layer still matches numpy and takes one cycle per DDR word."""
    rng = np.random.default_rng(1)
    w = random_weights(rng, "BIPOLAR", 24, 12)
    t = sorted_thresholds(rng, 12, 3, 20)
    model = mvu_model(24, 12, 6, 12, 1, "BIPOLAR", "UINT3", "UINT2", w, t, mem_mode="stream_ddr")
    x = edge_frames(rng, "UINT3", 1, 24, frames=5)
    code = render_node(model, model.graph.node[0])
    result = simulate_layer(code, [feed(model, x)])
    assert_stream_equal(code.name, result.stream, expected_stream(model, x))
    (port,) = code.mm_ports
    assert result.cycles_per_frame == port.depth == 2 * op_of(model).cycles()


@pytest.mark.slow
def test_tinier_yolo_sized_layer():
    """conv7-like: 13x13 pixels, 3x3x256 -> 512, PE=16, SIMD=32, W1A3, 7 thresholds, weights
    in BRAM-sized slices; exact, and at compute pace (the reader needs 8 of 169 cycles)."""
    rng = np.random.default_rng(7)
    mw, mh, pixels = 3 * 3 * 256, 512, 13 * 13
    w = random_weights(rng, "BIPOLAR", mw, mh)
    t = sorted_thresholds(rng, mh, 7, 150)
    model = mvu_model(
        mw, mh, 16, 32, pixels, "BIPOLAR", "UINT3", "UINT3", w, t, mem_mode="stream_ddr"
    )
    x = rng.integers(0, 8, size=(2, 1, pixels, mw))
    cycles = check(model, x)
    assert cycles_close(cycles, op_of(model).cycles()), (cycles, op_of(model).cycles())


@pytest.mark.slow
@pytest.mark.parametrize("pe,simd", ALL_FOLDINGS)
def test_every_legal_folding_of_a_12x6_layer(pe, simd):
    rng = np.random.default_rng(pe * 100 + simd)
    w = random_weights(rng, "BIPOLAR", 12, 6)
    t = sorted_thresholds(rng, 6, 7, 30)
    model = mvu_model(12, 6, pe, simd, 5, "BIPOLAR", "UINT3", "UINT3", w, t, mem_mode="stream_ddr")
    check(model, edge_frames(rng, "UINT3", 5, 12), gaps=0.2, stalls=0.2)
