"""The fused host input path (letterbox -> quantize on HWC) equals letterbox -> to_nchw ->
the host graph (threshold node, Transpose to NHWC) bit for bit, and is only recognised for
exactly that graph."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.driver.host_graph import HostGraph, HostNode
from qnnflow.driver.input_path import InputPath
from qnnflow.driver.pipeline import letterboxed

F = np.float32


def _prefix(op: str, table: np.ndarray, attrs: dict | None = None, perm=(0, 2, 3, 1)):
    nodes = (
        HostNode(op, "quant", ("input", "thr"), ("codes",), attrs or {}),
        HostNode("Transpose", "to_nhwc", ("codes",), ("stream",), {"perm": list(perm)}),
    )
    return HostGraph(("input",), ("stream",), nodes, {"thr": table})


BYTE = ((np.arange(1, 256) - 0.5) / 255).astype(F)[None, :]
CASES = [
    ("UniformThreshold", BYTE, {"out_scale": 1.0, "out_bias": 0.0}),
    ("UniformThreshold", ((np.arange(1, 8) - 0.5) / 7).astype(F)[None, :], {"out_bias": -3.0}),
    ("MultiThreshold", np.sort(np.random.default_rng(1).random((3, 5)), 1).astype(F), {}),
]


def _images(rng, size):
    pixels = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    pixels[0, :3] = [0, 128, 255]
    on_thresholds = np.resize(BYTE[0], (*size, 3)).astype(F)  # values exactly on thresholds
    return [pixels, pixels.astype(F) / F(255), rng.random((*size, 3), dtype=F), on_thresholds]


@pytest.mark.parametrize(("op", "table", "attrs"), CASES)
@pytest.mark.parametrize("size", [(17, 33), (40, 23), (1, 5), (32, 32)])
def test_fused_path_equals_letterbox_then_host_graph(op, table, attrs, size):
    prefix = _prefix(op, table, attrs)
    path = InputPath.from_prefix(prefix, 37, 29)
    assert path is not None
    for image in _images(np.random.default_rng(size[0]), size):
        want = prefix.run({"input": letterboxed(image, 37, 29)})["stream"]
        got = path(image)
        assert got.shape == want.shape == (1, 29, 37, 3)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == (np.uint8 if path.integer_codes else F)


def test_other_graphs_take_the_general_path():
    assert InputPath.from_prefix(_prefix("UniformThreshold", BYTE, perm=(0, 1, 2, 3)), 8, 8) is None
    layout = _prefix("MultiThreshold", BYTE, {"data_layout": "NHWC"})
    assert InputPath.from_prefix(layout, 8, 8) is None
    base = _prefix("UniformThreshold", BYTE)
    relu = HostNode("Relu", "quant", ("input",), ("codes",))
    relu = HostGraph(base.inputs, base.outputs, (relu, base.nodes[1]), {})
    assert InputPath.from_prefix(relu, 8, 8) is None
    assert InputPath.from_prefix(HostGraph(("x",), ("x",), (), {}), 8, 8) is None
