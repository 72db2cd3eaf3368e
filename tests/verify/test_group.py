"""Fast checks: a conv/pool graph is rebuilt at the least size that keeps every window and
stride in place (and stays at full size where an op looks at the whole frame, reshapes it
or holds a per-pixel constant); a group of transforms is checked once, and a broken one is
still named, with its node (and, for Streamline, its rule), at the small size; off checks
nothing; full checks each transform at full size."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.transforms.streamline import Streamline
from qnnflow.util import profile
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import EquivalenceError, check_equivalent
from qnnflow.verify.group import Checks, apply_checked
from qnnflow.verify.inputs import seeded_input, verification_inputs
from qnnflow.verify.shrink import candidate_sizes, shrink_to, shrunk, stride_product
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


class ScaleGain(Transformation):
    """Channel 0's gain times `factor`: a drift a tolerance may or may not allow."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def apply(self, model):
        gain = model.get_initializer("gain").copy()
        gain[0, 0] *= self.factor
        model.set_initializer("gain", gain)
        return model, False


class Tag(Transformation):
    """Appends `text` to the graph's doc string: shows which models a group returns."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def apply(self, model):
        model.graph.doc_string += self.text
        return model, False


class AddPixelZeros(Transformation):
    """Adds a per-pixel zero constant at the output: equal results, but the snapshot must
    stay at full size."""

    def apply(self, model):
        out = model.graph.output[0].name
        model.find_producer(out).output[0] = "before_pixels"
        model.set_initializer("pixel_zeros", np.zeros([1, 3, 5, 5], np.float32))
        model.graph.node.append(
            helper.make_node("Add", ["before_pixels", "pixel_zeros"], [out], name="pixels")
        )
        return model.transform(InferShapes()), False


class DropPixelZeros(Transformation):
    """Removes what AddPixelZeros added."""

    def apply(self, model):
        add = next(n for n in model.graph.node if n.name == "pixels")
        model.graph.node.remove(add)
        model.find_producer("before_pixels").output[0] = add.output[0]
        zeros = next(t for t in model.graph.initializer if t.name == "pixel_zeros")
        model.graph.initializer.remove(zeros)
        return model, False


def test_only_full_mode_with_seeded_only_checks_the_seeded_input_alone():
    model = conv_pool()
    only = Checks("full", seed=3, count=2, seeded_only=True).cases(model)
    assert [label for label, _ in only] == ["random input (seed 3)"]
    assert np.array_equal(only[0][1]["x"], seeded_input(model, 3))
    expected = [label for label, _ in verification_inputs(model, 3, 2)]
    for mode in ("fast", "off"):
        cases = Checks(mode, seed=3, count=2, seeded_only=True).cases(model)
        assert [label for label, _ in cases] == expected
    assert [label for label, _ in Checks("full", seed=3, count=2).cases(model)] == expected


def test_full_mode_checks_each_transform_within_its_tolerance():
    model = conv_pool()
    apply_checked(model, [ScaleGain(1.001)], Checks("full", rtol=1e-2))
    with pytest.raises(EquivalenceError, match=r"^ScaleGain changed the result"):
        apply_checked(model, [ScaleGain(1.001)], Checks("full"))


def test_a_group_returns_the_model_after_all_its_transforms():
    for mode in ("fast", "off", "full"):
        out = apply_checked(conv_pool(), [Tag("a"), Tag("b"), Tag("c")], Checks(mode))
        assert out.graph.doc_string.endswith("abc")


def test_drift_that_only_the_whole_group_shows_is_reported_for_the_group():
    """Each transform stays within the tolerance, together they do not: no transform is to
    blame, so the message names the group."""
    model = conv_pool()
    step = apply_checked(model, [ScaleGain(1.01)], Checks("fast", rtol=0.004))
    assert step.get_initializer("gain")[0, 0] != model.get_initializer("gain")[0, 0]
    with pytest.raises(EquivalenceError) as caught:
        apply_checked(model, [ScaleGain(1.01), ScaleGain(1.01)], Checks("fast", rtol=0.004))
    text = str(caught.value)
    assert text.startswith("ScaleGain + ScaleGain changed the result on random input (seed 0)")
    assert text.endswith("(at 12x12 instead of 20x20)")


def test_a_group_that_must_stay_at_full_size_says_so():
    with pytest.raises(EquivalenceError) as caught:
        apply_checked(conv_pool("global"), [Unchanged(), NudgeGain()], Checks("fast"))
    assert str(caught.value).startswith("NudgeGain changed the result")
    assert str(caught.value).endswith("(at full size (an op here depends on the frame size))")


def test_a_snapshot_that_cannot_shrink_is_checked_at_full_size_and_the_culprit_still_named():
    """The middle model holds a per-pixel constant (full size only); the broken transform
    after it is still located on the small graph, as if it were checked alone there."""
    group = [AddPixelZeros(), DropPixelZeros(), NudgeGain()]
    with pytest.raises(EquivalenceError) as detour:
        apply_checked(conv_pool(), group, Checks("fast"))
    small = shrink_to(conv_pool(), (12, 12))
    with pytest.raises(EquivalenceError) as direct:  # the transform alone, at 12x12
        check_equivalent(
            small, small.transform(NudgeGain()), Checks().cases(small), 0.0, "NudgeGain"
        )
    assert str(detour.value) == f"{direct.value} (at 12x12 instead of 20x20)"


def test_fast_mode_logs_what_it_checks_where(caplog):
    model = conv_pool()
    caplog.set_level(logging.INFO, logger="qnnflow.verify.group")
    apply_checked(model, [Unchanged(), Unchanged()], Checks("fast"))
    count = len(Checks("fast").cases(model))
    assert caplog.messages == [
        f"checking Unchanged + Unchanged at 12x12 instead of 20x20 on {count} inputs"
    ]


class Slow(Transformation):
    """Takes 20 ms, changes nothing."""

    def apply(self, model):
        time.sleep(0.02)
        return model, False


@pytest.mark.parametrize("mode", ["fast", "off"])
def test_a_group_records_one_profile_row_with_its_rewrite_and_check_seconds(mode):
    model = conv_pool()
    with profile.collecting() as rows:
        began = time.perf_counter()
        apply_checked(model, [Slow(), Unchanged()], Checks(mode))
        elapsed = time.perf_counter() - began
    assert [row.transform for row in rows] == ["Slow + Unchanged"]
    row, rounding = rows[0], 1e-4  # the profile keeps 4 decimals
    assert 0.02 <= row.transform_s <= elapsed + rounding
    if mode == "off":
        assert row.check_s == 0.0
    else:
        assert 0 < row.check_s <= elapsed - row.transform_s + 2 * rounding
