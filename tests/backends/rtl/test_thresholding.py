"""Thresholding's RTL kernel (qnnflow_thresholding) against the op's numpy execution,
bit-exactly and in the HLS kernel's stream order: PE folding (1, partial, full), unsigned and
signed inputs with thresholds at, between and beyond the input's range and a negative ActVal,
one row shared by all channels, BIPOLAR inputs and outputs, channel-group-major input behind
a stream_ddr MatrixVectorUnit, random gaps and backpressure, and cycles == op.cycles()."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.rtl.layer_sim import simulate_layer
from qnnflow.backends.rtl.lint import lint
from qnnflow.backends.rtl.ops.thresholding import render
from qnnflow.errors import QnnflowError
from qnnflow.ops import FoldingError
from tests.backends.hls.test_thresholding_cpp import (
    behind_streamed_mvu,
    input_frames,
    threshold_model,
)
from tests.backends.rtl.helpers import assert_stream_equal


def check(model, x, node_index=0, groups=1, gaps=0.0, stalls=0.0) -> np.ndarray:
    """Feeds NHWC frames `x` in group-major order when groups > 1 and compares in that
    order; without gaps/stalls one frame takes op.cycles()."""
    node = model.graph.node[node_index]
    code = render(model, node)
    assert lint(code) == []
    frames, c = x.shape[0], x.shape[-1]

    def group_major(a: np.ndarray) -> np.ndarray:
        return a.reshape(frames, -1, groups, c // groups).transpose(0, 2, 1, 3).reshape(frames, -1)

    op = getCustomOp(node)
    thresholds = model.get_initializer(node.input[1])
    expected = np.stack([op.reference(frame, thresholds) for frame in x])
    result = simulate_layer(code, [group_major(x)], gaps=gaps, stalls=stalls)
    assert_stream_equal(code.name, result.stream, group_major(expected))
    if gaps == 0 and stalls == 0:
        assert result.cycles_per_frame == op.cycles()
    return expected.reshape(frames, -1)


@pytest.mark.parametrize("pe", [1, 3, 6])
def test_pe_folding_with_unsigned_input(pe):
    rng = np.random.default_rng(pe)
    t = np.sort(rng.integers(0, 16, size=(6, 7)), axis=1)
    model = threshold_model(3, 5, 6, pe, "UINT4", "UINT3", t)
    x = input_frames(rng, model)
    check(model, x)
    if pe == 3:
        check(model, x, gaps=0.3, stalls=0.3)


def test_signed_input_edges_and_negative_actval():
    rng = np.random.default_rng(5)
    t = np.array(
        [
            [-32, -31, 0, 31],  # at the input's minimum and maximum
            [-1000, -2.5, 2.5, 1000],  # beyond the range and between integers
            [31, 32, 33, 34],  # reachable only by the maximum
            [-33, -32, -32, 5],  # repeated, reached by everything
        ]
    )
    model = threshold_model(2, 3, 4, 2, "INT6", "INT3", t, act_val=-4)
    x = input_frames(rng, model)
    x[0, 0, 0, :, :] = np.array([-32, -31, 0, 31])  # exactly on thresholds
    out = check(model, x)
    assert out.min() == -4 and out.max() == 0


def test_one_threshold_row_shared_by_all_channels():
    rng = np.random.default_rng(6)
    model = threshold_model(4, 1, 8, 4, "INT3", "UINT2", np.array([[-3, 0, 2]]))
    check(model, input_frames(rng, model))


def test_bipolar_input_and_output():
    """A BIPOLAR input is compared as its code (thresholds at ceil((t + 1) / 2)); a single
    threshold with a BIPOLAR output emits the sign bit."""
    rng = np.random.default_rng(9)
    x = rng.choice([-1, 1], size=(3, 1, 2, 3, 4))
    x[1] = -1
    t = np.array([[-1.0], [0.0], [1.0], [1.5]])  # at -1, between, at +1, beyond
    check(threshold_model(2, 3, 4, 2, "BIPOLAR", "BIPOLAR", t), x, gaps=0.3, stalls=0.3)
    ints = rng.integers(-8, 8, size=(2, 1, 2, 3, 4))
    t = np.array([[-8.0], [0], [3], [7.5]])
    check(threshold_model(2, 3, 4, 1, "INT4", "BIPOLAR", t), ints)


@pytest.mark.parametrize("groups,pe", [(3, 2), (6, 1)])
def test_channel_group_major_input(groups, pe):
    rng = np.random.default_rng(groups)
    t = np.sort(rng.integers(-8, 8, size=(6, 3)), axis=1)
    model = threshold_model(2, 3, 6, pe, "INT4", "UINT2", t)
    x = input_frames(rng, model)
    check(behind_streamed_mvu(model, groups), x, node_index=1, groups=groups, stalls=0.2 * pe)


def test_refusals_name_the_node_and_reason():
    t = np.zeros((6, 2))
    bad = threshold_model(1, 1, 6, 4, "UINT2", "UINT2", t)
    with pytest.raises(FoldingError, match="'Thresholding_0': PE=4 must divide channels=6"):
        render(bad, bad.graph.node[0])
    wraps = threshold_model(1, 1, 6, 2, "UINT2", "BINARY", t)
    with pytest.raises(QnnflowError, match="spans \\[0, 2\\], which outputDataType BINARY"):
        render(wraps, wraps.graph.node[0])
    grouped = behind_streamed_mvu(threshold_model(1, 1, 6, 2, "UINT2", "UINT2", t), 6)
    with pytest.raises(QnnflowError, match="PE=2 must divide the 1 channels of each of the 6"):
        render(grouped, grouped.graph.node[1])
