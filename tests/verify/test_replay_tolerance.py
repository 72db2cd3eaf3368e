"""Replays keep the check's terms: a step that drifts within the tolerance is not blamed
when the group's check fails (the culprit replay uses the step's rtol), and an output that a
middle step drops is reported under the transform's name."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import EquivalenceError, verified_transform
from qnnflow.verify.group import Checks, apply_checked
from tests.verify.test_replay import SHAPE, BreakAdd, _inputs, chain


class DriftHalf(Transformation):
    """m1's constant grows by one float32 step: 1.2e-7 relative, within a 1e-4 tolerance."""

    def apply(self, model):
        half = model.get_initializer("half")
        model.set_initializer("half", np.nextafter(half, np.float32(1), dtype=np.float32))
        return model, False


class Observed(Transformation):
    """Applies `steps` in order, reporting each to an observer like Streamline."""

    def __init__(self, steps: list[Transformation], observer=None):
        super().__init__()
        self.steps, self.observer = steps, observer

    def with_observer(self, observer):
        return Observed(self.steps, observer)

    def apply(self, model):
        for step in self.steps:
            model = model.transform(step)
            if self.observer is not None:
                self.observer(type(step).__name__, model)
        return model, False


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_the_culprit_replay_tolerates_what_the_check_tolerates(mode):
    broken = Observed([DriftHalf(), BreakAdd()])
    with pytest.raises(QnnflowError) as raised:
        apply_checked(chain(), [broken], Checks(mode, rtol=1e-4))
    assert "BreakAdd broke it" in str(raised.value)
    assert "DriftHalf" not in str(raised.value)


def test_drift_within_the_tolerance_passes_the_replayed_transform():
    drifted = verified_transform(chain(), Observed([DriftHalf()]), _inputs(), rtol=1e-4)
    assert drifted.get_initializer("half")[0, 0] > 0.5


def two_outputs() -> ModelWrapper:
    """chain() with the Add's result as a second output 'a1'."""
    b = GraphBuilder()
    x = b.add_input("x", SHAPE)
    t = b.node("Mul", [x, b.const("half", np.full(SHAPE, 0.5))], "m1")
    a = b.node("Add", [t, b.const("one", np.ones(SHAPE))], "a1")
    y = b.node("Mul", [a, b.const("two", np.full(SHAPE, 2.0))], "m2")
    return ModelWrapper(b.finish([(y, SHAPE), (a, SHAPE)], "two_outputs")).transform(InferShapes())


class DropSecondOutput(Transformation):
    def apply(self, model):
        model.graph.output.pop()
        return model, False


class RestoreSecondOutput(Transformation):
    def apply(self, model):
        model.graph.output.append(helper.make_tensor_value_info("a1", 1, SHAPE))
        return model, False


def test_an_output_dropped_mid_replay_is_reported_under_the_transform_name():
    transform = Observed([DropSecondOutput(), RestoreSecondOutput(), BreakAdd()])
    with pytest.raises(EquivalenceError, match=r"^Observed: 1 output\(s\) \['m2'\] where 2"):
        verified_transform(two_outputs(), transform, _inputs())
