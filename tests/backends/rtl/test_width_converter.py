"""WidthConverter in RTL (rtl/qnnflow/width_converter.sv) against the op's numpy execution:
any pair of word sizes (6 -> 4 and 4 -> 6 included), words of one element, signed and
unsigned elements, several frames, random gaps and backpressure, and max(input words,
output words) cycles per frame as the op estimates."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.width_converter import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.stream_order import sync_passthrough_replays
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu, replaying_window_chain
from tests.backends.hls.test_width_converter_cpp import UINT3, converter_model
from tests.backends.rtl.helpers import assert_stream_equal, cycles_close
from tests.ops.helpers import run

SHAPE = [1, 3, 5, 12]


@pytest.mark.parametrize(
    "in_elems,out_elems,dtype",
    [
        (6, 4, "UINT3"),
        (4, 6, "INT4"),
        (12, 1, "INT8"),
        pytest.param(1, 12, "UINT3", marks=pytest.mark.slow),
        pytest.param(2, 6, "BIPOLAR", marks=pytest.mark.slow),
    ],
)
def test_converter_matches_numpy(in_elems, out_elems, dtype):
    model = converter_model(SHAPE, in_elems, out_elems, dtype)
    op = getCustomOp(model.graph.node[0])
    low, high = int(op.input_dtype().min()), int(op.input_dtype().max())
    x = np.concatenate([frames_of((low, high), SHAPE, in_elems), frames_of((low, high), SHAPE, 9)])
    if dtype == "BIPOLAR":
        x = np.where(x > 0, 1, -1)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(len(x), -1)
    code = render(model, model.graph.node[0])
    assert (code.inputs[0].per_word, code.outputs[0].per_word) == (in_elems, out_elems)
    assert lint(code) == []
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, expected)
    assert cycles_close(result.cycles_per_frame, op.cycles()), (
        result.cycles_per_frame,
        op.cycles(),
    )
    stressed = simulate_layer(code, [x], gaps=0.3, stalls=0.3, seed=in_elems)
    assert_stream_equal(code.name, stressed.stream, expected)


def test_words_straddling_channel_groups_are_refused():
    model = behind_mvu(converter_model(SHAPE, 6, 4), 2)
    with pytest.raises(QnnflowError, match="outElems=4 must divide the 6 channels of each"):
        render(model, model.graph.node[1])


def test_illegal_word_sizes_are_refused_before_any_code():
    model = converter_model(SHAPE, 6, 5)
    with pytest.raises(FoldingError, match="outElems=5 must divide last axis=12"):
        render(model, model.graph.node[0])


def test_rendering_is_deterministic_and_names_the_ratio():
    model = converter_model(SHAPE, 6, 4)
    first, second = (render(model, model.graph.node[0]) for _ in range(2))
    assert first == second
    assert all(
        f".{k}({v})" in first.wrapper for k, v in [("IN_ELEMS", 6), ("OUT_ELEMS", 4), ("BITS", 3)]
    )


def test_converter_behind_a_replaying_window_converts_every_replay():
    tail = [
        ("StreamingFIFO", dict(shape=[1, 3, 3, 72], depth=2, elemsPerWord=8, **UINT3)),
        ("WidthConverter", dict(shape=[1, 3, 3, 72], inElems=8, outElems=6, **UINT3)),
    ]
    model = replaying_window_chain(2, tail)
    sync_passthrough_replays(model)
    code = render(model, model.graph.node[2])
    assert (code.inputs[0].words, code.outputs[0].words) == (2 * 81, 2 * 108)
    x = np.random.default_rng(6).integers(0, 8, size=(2, 2 * 3 * 3 * 72))
    result = simulate_layer(code, [x])
    assert_stream_equal(code.name, result.stream, x)
    assert result.cycles_per_frame == getCustomOp(model.graph.node[2]).cycles() == 2 * 108
