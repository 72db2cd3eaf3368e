"""ChoiceTable's vector lookups against a plain scan of every option, on random groups with
many ties (few distinct cycles and resource amounts) and random weightings and budgets."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.analysis.estimate import RESOURCE_KINDS
from qnnflow.boards import load_board
from qnnflow.transforms.fold.choice_table import (
    ChoiceTable,
    default_multipliers,
    option_cost,
)
from qnnflow.transforms.fold.options import Group, Option


def scan_choice(groups, budget, board, weights):
    """The search's choice as it was written before the tables: scan, filter, min."""
    choice = []
    for group in groups:
        feasible = [o for o in group.options if o.cycles <= budget]
        if weights is None:
            feasible = [o for o in feasible if default_multipliers(o)] or feasible
        if not feasible:
            return None
        choice.append(min(feasible, key=lambda o: (option_cost(o, board, weights), o.cycles)))
    return choice


def random_groups(rng, count=6) -> list[Group]:
    groups = []
    for g in range(count):
        options = []
        for i in range(int(rng.integers(1, 12))):
            style = str(rng.choice(["auto", "auto", "lut", "dsp"]))
            resources = {
                k: float(rng.choice([0.0, 1.0, 7.5, 64.0, 1e3 / 3]))
                for k in RESOURCE_KINDS
                if rng.random() < 0.8
            }
            attrs = {f"n{g}": {"PE": i, "resType": style}}
            options.append(Option(attrs, int(rng.choice([4, 8, 16, 64, 1000])), resources, 0))
        groups.append(Group([], options))
    return groups


@pytest.mark.parametrize("seed", range(40))
def test_table_choice_is_the_scans_choice(seed):
    rng = np.random.default_rng(seed)
    board = load_board("pynq_z2").resources
    groups = random_groups(rng)
    table = ChoiceTable(groups)
    weightings = [None, {"DSP": 0.5**3}, {k: float(rng.choice([1.0, 1.25, 3.0])) for k in board}]
    for weights in weightings:
        for budget in (0, 3, 4, 8, 15, 16, 64, 999, 1000, 10**6):
            expected = scan_choice(groups, budget, board, weights)
            got = table.choose(budget, board, weights)
            assert (got is None) == (expected is None), (budget, weights)
            if got is not None:  # the very same option objects, ties broken alike
                assert [id(o) for o in got] == [id(o) for o in expected], (budget, weights)


def test_vector_costs_equal_the_scalar_cost_bit_for_bit():
    rng = np.random.default_rng(7)
    board = load_board("pynq_z2").resources
    groups = random_groups(rng, count=10)
    table = ChoiceTable(groups)
    for weights in (None, {"DSP": 0.5**11}, {"BRAM36": 1.25**9, "LUT": 1.25**3}):
        vector = table.costs(board, weights)
        scalar = [option_cost(o, board, weights) for o in table._options]
        assert vector.tolist() == scalar


def test_a_group_without_a_fitting_default_takes_any_option():
    board = load_board("pynq_z2").resources
    fast_dsp = Option({"a": {"resType": "dsp"}}, 10, {"DSP": 4.0}, 0)
    slow_auto = Option({"a": {"resType": "auto"}}, 100, {"LUT": 1.0}, 0)
    table = ChoiceTable([Group([], [slow_auto, fast_dsp])])
    assert table.choose(10, board) == [fast_dsp]
    assert table.choose(100, board) == [slow_auto]
    assert table.choose(9, board) is None


def test_a_group_without_options_is_refused():
    with pytest.raises(ValueError, match="needs an option"):
        ChoiceTable([Group([], [])])
