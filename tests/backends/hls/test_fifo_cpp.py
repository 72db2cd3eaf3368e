"""StreamingFIFO's C++ layer: a DATAFLOW pair of copies joined by a stream of the FIFO's
depth; in simulation it passes every frame through unchanged in one cycle per word."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.layer_code import render_layer_top
from qnnflow.backends.hls.layer_sim import simulate_layer
from qnnflow.backends.hls.ops.fifo import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from qnnflow.ops.stream_order import sync_passthrough_replays
from qnnflow.packing import to_group_major
from tests.backends.hls.test_pad_cpp import frames_of
from tests.backends.hls.test_stream_order_cpp import behind_mvu, replaying_window_chain
from tests.ops.helpers import run, single_node_model

UINT3 = dict(inputDataType="UINT3", outputDataType="UINT3")


def op_of(model, index=0):
    return getCustomOp(model.graph.node[index])


def fifo_model(shape, per_word, depth=32, dtype="INT4"):
    return single_node_model(
        "StreamingFIFO",
        list(shape),
        list(shape),
        shape=list(shape),
        depth=depth,
        elemsPerWord=per_word,
        inputDataType=dtype,
        outputDataType=dtype,
    )


def test_fifo_passes_frames_through():
    model = fifo_model((1, 7, 5, 6), 3)
    x = frames_of((-8, 7), [1, 7, 5, 6], 1)
    expected = np.concatenate([run(model, f[None]) for f in x]).reshape(3, -1)
    code = render(model, model.graph.node[0])
    result = simulate_layer(code, [x])
    np.testing.assert_array_equal(result.stream, expected)
    assert result.cycles_per_frame == op_of(model).cycles() == 7 * 5 * 2


@pytest.mark.parametrize("depth", [2, 300])
def test_fifo_top_declares_its_depth(depth):
    model = fifo_model((1, 4, 4, 6), 2, depth=depth)
    code = render(model, model.graph.node[0])
    text = render_layer_top(code)[f"{code.name}.cpp"]
    assert f"#pragma HLS STREAM variable=buffer depth={depth}" in text
    assert "#pragma HLS DATAFLOW" in text


def test_fifo_on_a_group_major_stream():
    model = behind_mvu(fifo_model((1, 3, 3, 8), 2, dtype="UINT3"), 4)
    x = frames_of((0, 7), [1, 3, 3, 8], 2)
    result = simulate_layer(render(model, model.graph.node[1]), [to_group_major(x, 4)])
    np.testing.assert_array_equal(result.stream, to_group_major(x, 4))


def test_illegal_fifos_are_refused():
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
    assert op_of(model, 1).cycles() == 81  # before the graph tells it: one frame
    sync_passthrough_replays(model)
    code = render(model, model.graph.node[1])
    assert code.inputs[0].words == 3 * 3 * 3 * 72 // 8
    x = np.random.default_rng(5).integers(0, 8, size=(2, 3 * 3 * 3 * 72))
    result = simulate_layer(code, [x])
    np.testing.assert_array_equal(result.stream, x)
    assert result.cycles_per_frame == op_of(model, 1).cycles() == 3 * 81
