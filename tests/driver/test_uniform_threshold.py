"""The host's input quantizer: a MultiThreshold with one evenly spaced threshold row (the
(k - 0.5) / 255 steps of an 8-bit unsigned Quant) runs as one floor per element, equal bit
for bit to the T-compare MultiThreshold on every input, values exactly on a threshold too."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from qnnflow.backends.deploy.host_export import host_node, uniform_thresholds
from qnnflow.driver.host_ops import multithreshold, uniform_threshold
from qnnflow.errors import QnnflowError

RNG = np.random.default_rng(5)


def _byte_thresholds(levels: int = 255, scale: float = 1 / 255) -> np.ndarray:
    return ((np.arange(1, levels + 1) - 0.5) * scale).astype(np.float32)[None, :]


def _edge_inputs(t: np.ndarray) -> np.ndarray:
    """Every threshold, its float32 neighbours, the ends, infinities, NaN and random values."""
    row = t[0]
    near = [row, np.nextafter(row, -np.inf), np.nextafter(row, np.inf)]
    ends = np.array([row[0] - 1, row[-1] + 1, 0, 1, -np.inf, np.inf, np.nan], np.float32)
    rand = RNG.uniform(row[0] - 0.1, row[-1] + 0.1, 4000).astype(np.float32)
    flat = np.concatenate([*near, ends, rand]).astype(np.float32)
    return np.resize(flat, (1, 3, 8, flat.size // 24 + 1))


@pytest.mark.parametrize(
    ("thresholds", "attrs"),
    [
        (_byte_thresholds(), {}),
        (_byte_thresholds(15, 0.3), {"out_scale": 2.0, "out_bias": -15.0}),
        (np.tile(_byte_thresholds(7, 1.0), (3, 1)), {"out_bias": -4.0}),
        (np.array([[-0.25, 0.25]], np.float32), {}),
    ],
)
def test_floor_equals_the_compares_everywhere(thresholds, attrs):
    x = _edge_inputs(thresholds)
    want = multithreshold([x, thresholds], attrs)
    got = uniform_threshold([x, thresholds], attrs)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_only_uniform_rows_are_recognised():
    assert uniform_thresholds(_byte_thresholds())
    assert uniform_thresholds(np.tile(_byte_thresholds(7), (4, 1)))
    uneven = _byte_thresholds(7).copy()
    uneven[0, 3] += 0.02
    per_channel = np.stack([_byte_thresholds(7)[0], _byte_thresholds(7)[0] + 0.1])
    for table in (uneven, per_channel, _byte_thresholds(1), None):
        assert not uniform_thresholds(table)
    with pytest.raises(QnnflowError, match="one sorted threshold row shared by all channels"):
        uniform_threshold([np.zeros((1, 2, 2, 2), np.float32), per_channel], {})


def test_export_picks_the_floor_for_uniform_thresholds():
    from qonnx.core.modelwrapper import ModelWrapper

    node = helper.make_node(
        "MultiThreshold", ["x", "t"], ["y"], name="q", domain="qonnx.custom_op.general"
    )
    graph = helper.make_graph([node], "g", [], [])
    model = ModelWrapper(helper.make_model(graph))
    model.set_initializer("t", _byte_thresholds())
    assert host_node(node, model).op == "UniformThreshold"
    model.set_initializer("t", np.sort(RNG.uniform(0, 1, (1, 255))).astype(np.float32))
    assert host_node(node, model).op == "MultiThreshold"
    assert host_node(node).op == "MultiThreshold"  # without the model: the general kernel
