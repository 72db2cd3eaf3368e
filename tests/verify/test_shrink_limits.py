"""Where verify.shrink stops: a candidate size that leaves a tensor under MIN_SPATIAL pixels
is skipped, at most three sizes are tried (each costs a rebuild), and a per-pixel constant,
a Concat along a spatial axis or a graph without an image input keeps the graph at full
size, while per-channel constants and channel concats shrink."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify.shrink import input_size, shrink_to, shrunk
from tests.verify.graphs import two_heads

FULL = (10, 12)


def conv(kernel: int, pad: int = 0, tail=None) -> ModelWrapper:
    """x [1, 2, 10, 12] -> Conv kernel x kernel (stride 1) -> `tail(builder, tensor, shape)`
    (which returns its output and that output's shape)."""
    b = GraphBuilder()
    x = b.add_input("x", [1, 2, *FULL])
    w = b.const("w", np.random.default_rng(0).normal(size=(2, 2, kernel, kernel)))
    y = b.node("Conv", [x, w], "conv", kernel_shape=[kernel, kernel], pads=[pad] * 4)
    shape = [1, 2, *(f + 2 * pad - kernel + 1 for f in FULL)]
    if tail is not None:
        y, shape = tail(b, y, shape)
    return ModelWrapper(b.finish([(y, shape)], "conv")).transform(InferShapes())


def test_the_least_size_leaving_every_tensor_three_wide():
    model = conv(3)  # a valid 3x3 conv takes 2 pixels: 3 and 4 leave 1 and 2
    (small,), size = shrunk([model])
    assert size == (5, 5)
    assert small.get_tensor_shape("conv") == [1, 2, 3, 3]
    assert input_size(small) == (5, 5) and input_size(model) == FULL


def test_at_most_three_sizes_are_tried():
    model = conv(4)  # 3, 4 and 5 leave 0, 1 and 2 pixels; 6 would do
    assert shrunk([model]) is None
    assert shrink_to(model, (6, 6)).get_tensor_shape("conv") == [1, 2, 3, 3]


def _constant(op: str, shape: tuple[int, ...], first: bool):
    def tail(b: GraphBuilder, t: str, t_shape: list[int]) -> tuple[str, list[int]]:
        c = b.const("c", np.random.default_rng(1).uniform(1, 2, shape))
        return b.node(op, [c, t] if first else [t, c], "scaled"), t_shape

    return tail


@pytest.mark.parametrize(
    "op, shape, first",
    [
        ("Mul", (1, 2, 10, 12), False),  # per pixel
        ("Add", (1, 1, 10, 1), False),  # per row (large constants stand aside while inferring)
        ("Sub", (1, 1, 1, 12), True),  # per column
        ("Div", (10, 12), False),  # per pixel, broadcast from the right
        ("Add", (12,), True),
    ],
)
def test_a_constant_over_a_spatial_axis_keeps_full_size(op, shape, first):
    model = conv(3, pad=1, tail=_constant(op, shape, first))
    assert shrunk([model]) is None
    assert shrink_to(model, (5, 5)) is None


@pytest.mark.parametrize(
    "op, shape, first", [("Mul", (1, 2, 1, 1), False), ("Sub", (2, 1, 1), True), ("Add", (), False)]
)
def test_a_per_channel_or_scalar_constant_shrinks(op, shape, first):
    model = conv(3, pad=1, tail=_constant(op, shape, first))
    (small,), size = shrunk([model])
    assert size == (3, 3) and small.get_tensor_shape("scaled") == [1, 2, 3, 3]


def _concat(axis: int):
    def tail(b: GraphBuilder, t: str, t_shape: list[int]) -> tuple[str, list[int]]:
        shape = list(t_shape)
        shape[axis] *= 2
        return b.node("Concat", [t, t], "joined", axis=axis), shape

    return tail


@pytest.mark.parametrize("axis", [2, -1])
def test_a_concat_along_a_spatial_axis_keeps_full_size(axis):
    # the second copy's border would move: its windows no longer sit where they did
    model = conv(3, pad=1, tail=_concat(axis))
    assert shrunk([model]) is None
    assert shrink_to(model, (3, 3)) is None


@pytest.mark.parametrize("axis", [1, -3])
def test_a_concat_along_channels_shrinks(axis):
    model = conv(3, pad=1, tail=_concat(axis))
    (small,), _ = shrunk([model])
    assert small.get_tensor_shape("joined") == [1, 4, 3, 3]


def test_a_graph_without_an_image_input_keeps_full_size():
    model = two_heads()  # x [1, 4]
    assert input_size(model) is None
    assert shrunk([model, model]) is None
    assert shrink_to(model, (3, 3)) is None
