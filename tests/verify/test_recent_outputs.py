"""Fast mode's memo of recent executions (verify.equivalence._outputs with memo=True): a
step's last model is the next step's first, so it runs once; the memo is keyed by content,
so a changed weight or a changed input is never answered from it; it is opt-in, and each
model is prepared for execution once per check."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.util.graph_exec import PreparedGraph
from qnnflow.verify import EquivalenceError, check_equivalent, equivalence, verified_transform
from qnnflow.verify.group import Checks, apply_checked
from tests.verify.test_equivalence import FlipOneWeight, KeepAsIs
from tests.verify.test_group import Tag, conv_pool


def _runs(monkeypatch) -> list:
    """Count the executions the memo lets through."""
    calls: list = []
    real = equivalence._prepared

    def counting(model, cache):
        prepared = real(model, cache)

        class Counted:
            def run(self, feed, full=False):
                if not full:  # a failure's node-by-node location runs besides: not counted
                    calls.append(model)
                return prepared.run(feed, full=full)

        return Counted()

    monkeypatch.setattr(equivalence, "_prepared", counting)
    equivalence._RECENT.clear()
    return calls


def test_the_same_model_on_the_same_input_runs_once(setup, monkeypatch):
    model, feed = setup
    calls = _runs(monkeypatch)
    same = ModelWrapper(copy.deepcopy(model.model))  # another object, the same content
    check_equivalent(model, same, feed, memo=True)
    assert len(calls) == 1
    check_equivalent(same, model, feed, memo=True)  # a later step starting where this ended
    assert len(calls) == 1


def test_a_changed_weight_or_input_is_executed_and_caught(setup, monkeypatch):
    model, feed = setup
    calls = _runs(monkeypatch)
    check_equivalent(model, model, feed, memo=True)
    with pytest.raises(EquivalenceError):
        check_equivalent(model, model.transform(FlipOneWeight()), feed, memo=True)
    other = {"codes": np.zeros_like(feed["codes"])}
    check_equivalent(model, model, other, memo=True)
    assert len(calls) == 3


def test_memo_outputs_are_read_only_and_bounded(setup, monkeypatch):
    model, feed = setup
    _runs(monkeypatch)
    for k in range(equivalence.RECENT_RUNS + 3):
        x = {"codes": np.full_like(feed["codes"], k % 8)}
        check_equivalent(model, model, x, memo=True)
    assert len(equivalence._RECENT) == equivalence.RECENT_RUNS
    outputs = next(iter(equivalence._RECENT.values()))
    assert all(not value.flags.writeable for value in outputs.values())


def test_the_oldest_run_is_forgotten_first(setup, monkeypatch):
    model, feed = setup
    calls = _runs(monkeypatch)
    rng = np.random.default_rng(1)
    feeds = [{"codes": rng.integers(0, 8, feed["codes"].shape).astype(np.float32)}]
    feeds += [{"codes": np.full_like(feed["codes"], k)} for k in range(equivalence.RECENT_RUNS)]
    for x in feeds:  # one more distinct run than the memo holds
        check_equivalent(model, model, x, memo=True)
    assert len(calls) == len(feeds)
    check_equivalent(model, model, feeds[-1], memo=True)  # the newest: still there
    assert len(calls) == len(feeds)
    check_equivalent(model, model, feeds[0], memo=True)  # the oldest: run again
    assert len(calls) == len(feeds) + 1


def test_without_memo_every_check_runs_its_models(setup, monkeypatch):
    """The memo is opt-in (its outputs are shared and read-only): plain checks execute."""
    model, feed = setup
    calls = _runs(monkeypatch)
    check_equivalent(model, model, feed)
    check_equivalent(model, model, feed)
    assert len(calls) == 4
    verified_transform(model, KeepAsIs(), feed)  # before and after: the same content
    assert len(calls) == 6
    assert not equivalence._RECENT


def test_each_model_is_prepared_once_per_check(setup, monkeypatch):
    """Preparing a graph is the fixed cost of running it: once per model and check, however
    many inputs it runs and whether a failure is then located node by node."""
    model, feed = setup
    made: list = []

    class Counting(PreparedGraph):
        def __init__(self, graph: ModelWrapper) -> None:
            made.append(graph)
            super().__init__(graph)

    monkeypatch.setattr(equivalence, "PreparedGraph", Counting)
    cases = [(f"#{k}", {"codes": np.full_like(feed["codes"], k)}) for k in range(3)]
    broken = model.transform(FlipOneWeight())

    def preparations(check, *args, **options) -> int:
        equivalence._RECENT.clear()
        start = len(made)
        try:
            check(*args, **options)
        except EquivalenceError:
            pass
        return len(made) - start

    assert preparations(check_equivalent, model, model.transform(KeepAsIs()), cases) == 2
    assert preparations(check_equivalent, model, broken, cases[::-1]) == 2
    assert preparations(check_equivalent, model, broken, cases[::-1], memo=True) == 2
    assert preparations(verified_transform, model, KeepAsIs(), cases) == 2
    assert preparations(verified_transform, model, FlipOneWeight(), cases[::-1]) == 2


def test_fast_mode_runs_the_model_between_two_steps_once(monkeypatch):
    calls = _runs(monkeypatch)
    first_step = apply_checked(conv_pool(), [Tag("a")], Checks("fast"))
    cases = len(Checks("fast").cases(conv_pool()))
    assert len(calls) == 2 * cases
    apply_checked(first_step, [Tag("b")], Checks("fast"))  # starts where the first ended
    assert len(calls) == 3 * cases
