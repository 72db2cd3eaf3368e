"""Run a model before and after a transform on the same inputs; outputs pair by position
(compare.py: exact shapes, NaN/inf fail). On a difference the message names the input, the
output and the first node whose output differs (locate.py). A composite transform that can
report its steps (`with_observer(callback)`, e.g. Streamline) is replayed on the failing
input step by step, so the rewrite that broke the result is named even where later steps
renamed or rescaled every tensor in between."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.errors import QnnflowError
from qnnflow.util import profile
from qnnflow.util.graph_exec import PreparedGraph
from qnnflow.verify.compare import ComparisonError, difference, paired_outputs
from qnnflow.verify.locate import first_difference

Feed = dict[str, np.ndarray]
Inputs = Mapping[str, np.ndarray] | Sequence[tuple[str, Mapping[str, np.ndarray]]]


class EquivalenceError(QnnflowError):
    """A transform changed what the model computes."""


@dataclass(frozen=True)
class Difference:
    output: str
    why: str
    located: str


# outputs of the last few checked executions, by content (see _outputs)
RECENT_RUNS = 8
_RECENT: OrderedDict[bytes, dict[str, np.ndarray]] = OrderedDict()


def input_cases(inputs: Inputs) -> list[tuple[str | None, Feed]]:
    """(label, feed) pairs: one unlabelled case for a plain name -> array mapping."""
    if isinstance(inputs, Mapping):
        return [(None, dict(inputs))]
    return [(label, dict(feed)) for label, feed in inputs]


def _prepared(model: ModelWrapper, cache: dict | None) -> PreparedGraph:
    """`model` prepared for execution, once per check (`cache`, keyed by the live object)."""
    if cache is None:
        return PreparedGraph(model)
    if id(model) not in cache:
        cache[id(model)] = (model, PreparedGraph(model))
    return cache[id(model)][1]


def _digest(model: ModelWrapper, feed: Feed) -> bytes:
    """Content key of one execution: the serialized model and every input's bytes."""
    key = hashlib.sha1(model.model.SerializeToString())
    for name in sorted(feed):
        value = np.ascontiguousarray(feed[name])
        key.update(f"{name}:{value.dtype}:{value.shape}".encode())
        key.update(value.tobytes())
    return key.digest()


def _outputs(
    model: ModelWrapper, feed: Feed, cache: dict | None = None, memo: bool = False
) -> dict[str, np.ndarray]:
    """What qonnx's execute_onnx returns (util.graph_exec runs it bit for bit, faster).
    `memo`: reuse the outputs of the same model on the same input from a recent check (a
    step's last model is the next step's first: fast mode runs it once, not twice)."""
    if not memo:
        return _prepared(model, cache).run(dict(feed))
    key = _digest(model, feed)
    if key in _RECENT:
        _RECENT.move_to_end(key)
        return _RECENT[key]
    outputs = _prepared(model, cache).run(dict(feed))
    for value in outputs.values():
        value.flags.writeable = False  # shared by later checks: nobody may change it
    _RECENT[key] = outputs
    while len(_RECENT) > RECENT_RUNS:
        _RECENT.popitem(last=False)
    return outputs


def _runnable(model: ModelWrapper) -> ModelWrapper | None:
    """A mid-transform snapshot with its shapes inferred (rules add tensors that a sweep
    types only at its end), or None when it cannot be run on its own."""
    try:
        return model.transform(InferShapes())
    except Exception:  # a snapshot qonnx cannot complete: not a step to judge
        return None


def _differing_outputs(
    before: ModelWrapper, after: ModelWrapper, old: dict, new: dict, rtol: float, label: str
) -> list[tuple[str, str]]:
    try:
        pairs = paired_outputs(
            [o.name for o in before.graph.output], [o.name for o in after.graph.output], label
        )
    except ComparisonError as error:
        raise EquivalenceError(str(error)) from None
    found = []
    for out_old, out_new in pairs:
        why = difference(new[out_new], old[out_old], rtol)
        if why is not None:
            found.append((out_new, why))
    return found


def compare_models(
    before: ModelWrapper,
    after: ModelWrapper,
    feed: Feed,
    rtol: float,
    label: str,
    cache: dict | None = None,
    memo: bool = False,
) -> Difference | None:
    """None when the outputs agree on `feed`, else the first differing output and node."""
    old, new = _outputs(before, feed, cache, memo), _outputs(after, feed, cache, memo)
    bad = _differing_outputs(before, after, old, new, rtol, label)
    if not bad:
        return None
    old = _prepared(before, cache).run(dict(feed), full=True)
    new = _prepared(after, cache).run(dict(feed), full=True)
    name, why = bad[0]
    return Difference(name, why, first_difference(before, after, old, new, rtol))


def _message(label: str, case: str | None, found: Difference, step: str | None = None) -> str:
    on = f" on {case}" if case else ""
    broke = f"{step} broke it: " if step else ""
    return (
        f"{label} changed the result{on}: output '{found.output}' differs ({found.why}); "
        f"{broke}{found.located}"
    )


def check_equivalent(
    before: ModelWrapper,
    after: ModelWrapper,
    inputs: Inputs,
    rtol: float = 0.0,
    label: str = "transform",
    memo: bool = False,
) -> None:
    """Raise EquivalenceError naming the input, the differing output and the first differing
    node when the outputs (paired by position, equal counts) disagree or are not finite
    (`memo`: see _outputs)."""
    cache: dict = {}
    for case, feed in input_cases(inputs):
        found = compare_models(before, after, feed, rtol, label, cache, memo)
        if found is not None:
            raise EquivalenceError(_message(label, case, found))


class _StepBroke(Exception):
    def __init__(self, step: str, found: Difference) -> None:
        super().__init__(step)
        self.step, self.found = step, found


def _breaking_step(
    model: ModelWrapper, transform: Transformation, feed: Feed, rtol: float, label: str
) -> tuple[str, Difference] | None:
    """Replay an observable transform on `feed`: the first step after which the outputs differ
    from the untransformed model's, located against the model just before that step."""
    with_observer: Callable | None = getattr(transform, "with_observer", None)
    if with_observer is None:
        return None
    reference = _outputs(model, feed)
    previous = [model]

    def observe(step: str, snapshot: ModelWrapper) -> None:
        current = _runnable(snapshot)
        if current is None:
            return
        new = _outputs(current, feed)
        if _differing_outputs(model, current, reference, new, rtol, label):
            found = compare_models(previous[0], current, feed, rtol, label)
            if found is not None:
                raise _StepBroke(step, found)
        previous[0] = current

    try:
        model.transform(with_observer(observe))
    except _StepBroke as broke:
        return broke.step, broke.found
    return None


def verified_transform(
    model: ModelWrapper, transform: Transformation, inputs: Inputs, rtol: float = 0.0
) -> ModelWrapper:
    """model.transform(transform), checked against the untransformed model on every input
    (the seconds of each part go to util.profile)."""
    began = perf_counter()
    after = model.transform(transform)
    transformed = perf_counter()
    label = type(transform).__name__
    cache: dict = {}
    for case, feed in input_cases(inputs):
        found = compare_models(model, after, feed, rtol, label, cache)
        if found is None:
            continue
        step = _breaking_step(model, transform, feed, rtol, label)
        if step is not None:
            name, at_step = step
            found = Difference(found.output, found.why, at_step.located)
            raise EquivalenceError(_message(label, case, found, step=name))
        raise EquivalenceError(_message(label, case, found))
    profile.record(label, transformed - began, perf_counter() - transformed)
    return after
