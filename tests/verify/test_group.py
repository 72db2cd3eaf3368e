"""Fast checks: a conv/pool graph is rebuilt at the least size that keeps every window and
stride in place (and stays at full size where an op looks at the whole frame, reshapes it
or holds a per-pixel constant); a group of transforms is checked once, and a broken one is
still named, with its node (and, for Streamline, its rule), at the small size; off checks
nothing; full checks each transform at full size."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.transforms.streamline import Streamline
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import EquivalenceError
from qnnflow.verify.group import Checks, apply_checked
from qnnflow.verify.shrink import candidate_sizes, shrunk, stride_product
from tests.verify.test_replay import batchnorm_quant_with_broken_add

SIZE = 20


def conv_pool(extra: str | None = None) -> ModelWrapper:
    """x [1, 2, 20, 20] -> Conv 3x3 pad 1 -> Mul(per channel) -> MaxPool 2/2 -> Conv 3x3
    stride 2 pad 1 [1, 3, 5, 5] -> `extra` (a frame-wide op) when given."""
    rng = np.random.default_rng(0)
    b = GraphBuilder()
    x = b.add_input("x", [1, 2, SIZE, SIZE])
    w1 = b.const("w1", rng.normal(size=(4, 2, 3, 3)))
    t = b.node("Conv", [x, w1], "conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    t = b.node("Mul", [t, b.const("gain", rng.uniform(0.5, 2, (1, 4, 1, 1)))], "gain")
    t = b.node("MaxPool", [t], "pool", kernel_shape=[2, 2], strides=[2, 2])
    w2 = b.const("w2", rng.normal(size=(3, 4, 3, 3)))
    y = b.node("Conv", [t, w2], "conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    shape = [1, 3, 5, 5]
    if extra == "global":
        y, shape = b.node("GlobalAveragePool", [y], "gap"), [1, 3, 1, 1]
    elif extra == "per-pixel":
        y = b.node("Add", [y, b.const("bias", rng.normal(size=(1, 3, 5, 5)))], "pixels")
    return ModelWrapper(b.finish([(y, shape)], "conv_pool")).transform(InferShapes())


class NudgeGain(Transformation):
    """Wrong: channel 0's gain grows by 1 %."""

    def apply(self, model):
        gain = model.get_initializer("gain").copy()
        gain[0, 0] *= 1.01
        model.set_initializer("gain", gain)
        return model, False


class Unchanged(Transformation):
    def apply(self, model):
        return model, False


def test_the_least_size_keeps_remainders_and_every_tensor_wide_enough():
    model = conv_pool()
    assert stride_product(model) == (4, 4)
    assert candidate_sizes((SIZE, SIZE), (4, 4))[0] == (12, 12)
    assert candidate_sizes((22, 20), (4, 4))[0] == (14, 12)  # 22 mod 4 kept
    assert candidate_sizes((12, 12), (4, 4)) == []  # already as small as allowed
    (small, _), size = shrunk([model, model])
    assert size == (12, 12)
    assert small.get_tensor_shape(small.graph.output[0].name) == [1, 3, 3, 3]
    assert model.get_tensor_shape("x") == [1, 2, SIZE, SIZE]  # the original is untouched


@pytest.mark.parametrize("extra", ["global", "per-pixel"])
def test_frame_wide_ops_stay_at_full_size(extra):
    model = conv_pool(extra)
    assert shrunk([model, model]) is None


def test_a_group_is_checked_once_and_the_broken_transform_is_named():
    checks = Checks("fast", seed=0)
    group = [Unchanged(), NudgeGain(), Unchanged()]
    with pytest.raises(EquivalenceError) as caught:
        apply_checked(conv_pool(), group, checks)
    text = str(caught.value)
    assert text.startswith("NudgeGain changed the result on random input (seed 0)")
    assert "first differing node Mul 'gain_1'" in text
    assert text.endswith("(at 12x12 instead of 20x20)")


def test_off_checks_nothing_and_full_checks_each_transform():
    model = conv_pool()
    broken = apply_checked(model, [NudgeGain()], Checks("off"))
    assert broken.get_initializer("gain")[0, 0] != model.get_initializer("gain")[0, 0]
    with pytest.raises(EquivalenceError, match=r"^NudgeGain changed the result"):
        apply_checked(model, [Unchanged(), NudgeGain()], Checks("full"))
    with pytest.raises(QnnflowError, match="--verify must be one of full, fast, off"):
        Checks("quick")


def test_a_good_group_passes_and_returns_the_last_model():
    model = conv_pool()
    out = apply_checked(model, [Unchanged(), Unchanged()], Checks("fast"))
    assert out.get_tensor_shape("x") == [1, 2, SIZE, SIZE]


def test_fast_mode_names_the_broken_streamline_rule(monkeypatch):
    model = batchnorm_quant_with_broken_add(monkeypatch, [1, 2, 8, 8])
    with pytest.raises(
        EquivalenceError,
        match=r"OffByHalfAdd \(sweep 1\) broke it: first differing node MultiThreshold "
        r"'quant_multithreshold'.*\(at 3x3 instead of 8x8\)$",
    ):
        apply_checked(model, [Streamline()], Checks("fast", rtol=1e-5))
