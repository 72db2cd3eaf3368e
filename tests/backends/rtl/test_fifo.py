"""StreamingFIFO in RTL (rtl/qnnflow/fifo.sv): every frame passes through unchanged, in
order, at one word per cycle, with LUT memory (depth <= 32, depth 1 included) and with
block RAM (deeper), through random input gaps and output backpressure."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.fifo import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.stream_order import sync_passthrough_replays
from tests.backends.hls.test_fifo_cpp import UINT3, fifo_model
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu, replaying_window_chain
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import run

SHAPE = (1, 7, 5, 6)


def frames_and_reference(model, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random, zero and min/max frames, plus more random ones; numpy's output of each."""
    dtype = getCustomOp(model.graph.node[0]).input_dtype()
    x = frames_of((dtype.min(), dtype.max()), list(SHAPE), seed)
    more = np.random.default_rng(seed + 1).integers(dtype.min(), dtype.max() + 1, (3, *SHAPE[1:]))
    x = np.concatenate([x, more])
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(len(x), -1)
    return x, expected


@pytest.mark.parametrize("depth", [1, 40])  # LUT memory (two slots) and block RAM
def test_fifo_passes_frames_at_one_word_per_cycle(depth):
    model = fifo_model(SHAPE, 3, depth=depth)
    code = render(model, model.graph.node[0])
    assert lint(code) == []
    x, expected = frames_and_reference(model, depth)
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    estimate = getCustomOp(model.graph.node[0]).cycles()
    assert estimate == 7 * 5 * 2
    assert cycles_close(result.cycles_per_frame, estimate), (result.cycles_per_frame, estimate)
    stressed = simulate_layer(code, [x], gaps=0.3, stalls=0.3, seed=depth)
    assert_stream_equal(code.name, stressed.stream, expected)


def test_block_ram_fifo_survives_heavy_backpressure_on_a_wide_word():
    """One word of 6 x 8 bits, stalled most cycles: the read-ahead queue must not lose,
    repeat or reorder words while the RAM fills up."""
    model = fifo_model(SHAPE, 6, depth=40, dtype="INT8")
    code = render(model, model.graph.node[0])
    x, expected = frames_and_reference(model, 11)
    for gaps, stalls, seed in [(0.0, 0.8, 2), (0.7, 0.1, 3), (0.5, 0.5, 4)]:
        result = simulate_layer(code, [x], gaps=gaps, stalls=stalls, seed=seed)
        assert_stream_equal(code.name, result.stream, expected)


def test_fifo_memory_style_follows_the_depth():
    for depth, style in [(32, "LUT"), (33, "block RAM")]:
        model = fifo_model(SHAPE, 3, depth=depth)
        code = render(model, model.graph.node[0])
        assert f"{depth} words of 12 bits in {style}" in code.wrapper
        assert ".DEPTH(" + str(depth) + ")" in code.wrapper
        assert code.wrapper == render(model, model.graph.node[0]).wrapper  # deterministic


def test_fifo_on_a_group_major_stream_keeps_its_order():
    model = behind_mvu(fifo_model((1, 3, 3, 8), 2, dtype="UINT3"), 4)
    code = render(model, model.graph.node[1])
    assert code.inputs[0].per_word == 2 and code.inputs[0].words == 3 * 3 * 4


def test_illegal_fifos_are_refused_by_the_renderer():
    model = fifo_model((1, 3, 3, 8), 3)
    with pytest.raises(FoldingError, match="elemsPerWord=3 must divide last axis=8"):
        render(model, model.graph.node[0])
    model = behind_mvu(fifo_model((1, 3, 3, 8), 4, dtype="UINT3"), 4)
    with pytest.raises(QnnflowError, match="elemsPerWord=4 must divide the 2 channels"):
        render(model, model.graph.node[1])
    model = fifo_model((1, 3, 3, 8), 2, depth=0)
    with pytest.raises(FoldingError, match="depth=0 must be at least 1"):
        render(model, model.graph.node[0])


def test_fifo_behind_a_replaying_window_passes_every_replay():
    attrs = dict(shape=[1, 3, 3, 72], depth=2, elemsPerWord=8)
    model = replaying_window_chain(3, [("StreamingFIFO", {**attrs, **UINT3})])
    sync_passthrough_replays(model)
    code = render(model, model.graph.node[1])
    assert code.inputs[0].words == code.outputs[0].words == 3 * 3 * 3 * 72 // 8
    x = np.random.default_rng(5).integers(0, 8, size=(2, 3 * 3 * 3 * 72))
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, x)
    assert result.cycles_per_frame == getCustomOp(model.graph.node[1]).cycles() == 3 * 81
