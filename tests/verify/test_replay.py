"""A failing composite transform is replayed step by step: the message names the step and
node that broke the result even when later steps renamed every tensor; a rewritten region
(one node replaced by two) is named from its first node, with the input value that decided."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms import streamline
from qnnflow.transforms.streamline import (
    RULES,
    AbsorbAddIntoMultiThreshold,
    QuantActToMultiThreshold,
    Streamline,
)
from qnnflow.util.graph_builder import GraphBuilder
from qnnflow.verify import EquivalenceError, check_equivalent, verified_transform
from tests.transforms.streamline.graphs import Chain

SHAPE = [1, 4]


def chain() -> ModelWrapper:
    """y = ((x * 0.5) + 1) * 2 through nodes m1, a1, m2."""
    b = GraphBuilder()
    x = b.add_input("x", SHAPE)
    t = b.node("Mul", [x, b.const("half", np.full(SHAPE, 0.5))], "m1")
    t = b.node("Add", [t, b.const("one", np.ones(SHAPE))], "a1")
    y = b.node("Mul", [t, b.const("two", np.full(SHAPE, 2.0))], "m2")
    return ModelWrapper(b.finish([(y, SHAPE)], "chain")).transform(InferShapes())


class RenameIntermediates(Transformation):
    """Same values, every tensor between nodes renamed (as streamlining does)."""

    def apply(self, model):
        outputs = {o.name for o in model.graph.output}
        for node in model.graph.node:
            for i, name in enumerate(node.output):
                if name not in outputs:
                    fresh = f"{name}_r"
                    node.output[i] = fresh
                    for consumer in model.graph.node:
                        consumer.input[:] = [fresh if t == name else t for t in consumer.input]
        del model.graph.value_info[:]
        return model.transform(InferShapes()), False


class BreakAdd(Transformation):
    """Wrong: the Add's constant becomes 1.5."""

    def apply(self, model):
        add = next(n for n in model.graph.node if n.op_type == "Add")
        model.set_initializer(add.input[1], np.full(SHAPE, 1.5, np.float32))
        return model, False


class Composite(Transformation):
    """Rename, break, rename: reports each step to an observer like Streamline."""

    def __init__(self, observer=None) -> None:
        super().__init__()
        self.observer = observer

    def with_observer(self, observer):
        return Composite(observer)

    def apply(self, model):
        for step in (RenameIntermediates(), BreakAdd(), RenameIntermediates()):
            model = model.transform(step)
            if self.observer is not None:
                self.observer(type(step).__name__, model)
        return model, False


def _inputs():
    return {"x": np.arange(4, dtype=np.float32).reshape(SHAPE)}


def test_without_replay_renamed_tensors_blur_the_node_into_a_region():
    broken = chain().transform(Composite())
    with pytest.raises(
        EquivalenceError,
        match=r"first differing node Mul 'm1' \(rewritten with Add 'a1', Mul 'm2'\) in place of "
        r"Mul 'm2' \(tensor 'm2'",
    ):
        check_equivalent(chain(), broken, _inputs())


def test_replay_names_the_step_and_the_node():
    with pytest.raises(
        EquivalenceError,
        match=r"^Composite changed the result: output 'm2' differs \(relative error 0.2 > "
        r"tolerance 0\); BreakAdd broke it: "
        r"first differing node Add 'a1' \(tensor 'a1_r': .* at \[0, 0\]: 1.5 where it was "
        r"1.0; region input there: 'm1_r' = 0.0\)$",
    ):
        verified_transform(chain(), Composite(), _inputs())


def test_a_replayed_failure_names_its_input():
    with pytest.raises(EquivalenceError, match=r"^Composite changed the result on x = 0\.\.3: "):
        verified_transform(chain(), Composite(), [("x = 0..3", _inputs())])


class NudgedThresholds(Transformation):
    """Wrong: Quant -> MultiThreshold with the code-84 threshold one float32 step high, so the
    tie 83.5 / 128 (half to even: 84) counts as 83."""

    def apply(self, model):
        model = model.transform(QuantActToMultiThreshold())
        mt = model.graph.node[0]
        t = model.get_initializer(mt.input[1]).copy()
        t[0, 84 + 128 - 1] = np.nextafter(t[0, 84 + 128 - 1], np.float32(1))
        model.set_initializer(mt.input[1], t)
        return model, False


def test_a_rewritten_region_is_named_from_its_first_node_with_the_deciding_input():
    model = Chain([1, 1, 1, 2]).op(
        "Quant", np.float32(1 / 128), 0.0, 8.0, qonnx=True, signed=1, narrow=0
    )
    x = {"x": np.array([0.25, 83.5 / 128], np.float32).reshape(1, 1, 1, 2)}
    with pytest.raises(EquivalenceError) as caught:
        verified_transform(model.model([1, 1, 1, 2]), NudgedThresholds(), x)
    assert (
        "first differing node MultiThreshold 'quant_multithreshold' (rewritten with Mul "
        "'quant_scale') in place of Quant 'quant' (tensor 'quant': "
    ) in str(caught.value)
    assert str(caught.value).endswith(
        "at [0, 0, 0, 1]: 0.6484375 where it was 0.65625; region input there: 'x' = 0.65234375)"
    )


def test_streamline_reports_its_steps_and_streamlines_the_same():
    model = Chain([1, 1, 1, 2]).op(
        "Quant", np.float32(0.5), 0.0, 4.0, qonnx=True, signed=1, narrow=0
    )
    model = model.op("Mul", np.float32(3.0)).model([1, 1, 1, 2])
    steps = []
    observed = model.transform(Streamline().with_observer(lambda s, m: steps.append(s)))
    assert (
        steps[0] == "QuantActToMultiThreshold (sweep 1)"
        and "CollapseRepeatedMul (sweep 1)" in steps
    )
    plain = model.transform(Streamline())
    assert observed.model.SerializeToString() == plain.model.SerializeToString()


class OffByHalfAdd(AbsorbAddIntoMultiThreshold):
    """Wrong: absorbs Add(b) as T - b - 0.5."""

    def apply(self, model):
        model, changed = super().apply(model)
        for mt in model.graph.node:
            if mt.op_type == "MultiThreshold" and mt.input[1].endswith("_T"):
                model.set_initializer(mt.input[1], model.get_initializer(mt.input[1]) - 0.5)
        return model, changed


def batchnorm_quant_with_broken_add(monkeypatch, shape: list[int]) -> ModelWrapper:
    """BatchNorm -> Quant of `shape`, with Streamline's Add absorption swapped for
    OffByHalfAdd."""
    rules = tuple(OffByHalfAdd if r is AbsorbAddIntoMultiThreshold else r for r in RULES)
    monkeypatch.setattr(streamline, "RULES", rules)
    chain = Chain(shape).op(
        "BatchNormalization",
        np.ones(2),
        np.array([0.25, -0.75]),
        np.zeros(2),
        np.full(2, 4.0),
        epsilon=0.0,
    )
    chain.op("Quant", np.float32(0.5), 0.0, 4.0, qonnx=True, signed=1, narrow=0)
    return chain.model(shape)


def test_a_broken_rule_after_batchnorm_folding_is_named(monkeypatch):
    """BatchNorm -> Quant streamlined with a broken Add absorption: the replay runs each
    snapshot (shapes inferred) and names that rule and its MultiThreshold."""
    model = batchnorm_quant_with_broken_add(monkeypatch, [1, 2, 2, 2])
    x = {"x": np.arange(-4, 4, dtype=np.float32).reshape(1, 2, 2, 2)}
    with pytest.raises(
        EquivalenceError,
        match=r"OffByHalfAdd \(sweep 1\) broke it: first differing node MultiThreshold "
        r"'quant_multithreshold'",
    ):
        verified_transform(model, Streamline(), x)
