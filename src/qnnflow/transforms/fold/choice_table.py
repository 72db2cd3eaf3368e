"""Each folding group's cheapest option within a cycle budget, for the folding search.

The search asks "each group's cheapest option with cycles <= T" for many budgets T (the
bisection, the scan upward, every cap refold) and many cost weightings (DSP discounts,
scarcity raises, up to 64 per budget). The options of one weight-streaming set are laid
out once as flat arrays; a choice is then a handful of vector operations over all groups
instead of a Python scan that re-costs every option. Ties resolve as that scan did: the
cheapest, then the fewest cycles, then the first listed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.estimate import RESOURCE_KINDS
from qnnflow.analysis.resource_factors import Factors
from qnnflow.errors import QnnflowError
from qnnflow.transforms.fold.node_costs import NodeCosts
from qnnflow.transforms.fold.options import (
    Group,
    Option,
    folding_groups,
    port_nodes,
    streamable_sets,
)

RES_TYPE = "resType"  # the folding attribute choosing LUT or DSP multipliers
Weights = dict[str, float] | None


def default_multipliers(option: Option) -> bool:
    """The option keeps every layer's multipliers where resType auto puts them."""
    return all(attrs.get(RES_TYPE, "auto") == "auto" for attrs in option.attrs.values())


def option_cost(option: Option, board: Mapping[str, float], weights: Weights = None) -> float:
    """Sum over resources of weight x use / the board's amount, added left to right in
    RESOURCE_KINDS order (ChoiceTable's vector form adds in the same order: same bits)."""
    weights = weights or {}
    total = 0.0
    for kind in RESOURCE_KINDS:
        total += weights.get(kind, 1.0) * option.resources.get(kind, 0.0) / board[kind]
    return total


class ChoiceTable:
    """The folding groups of one weight-streaming set as flat arrays (each group's options
    sorted by cycles, listed order among equals), so one choice is a few vector operations;
    cost vectors are kept per weighting (the plain cost and the DSP discounts recur)."""

    def __init__(self, groups: list[Group]):
        if any(not g.options for g in groups):
            raise ValueError("ChoiceTable: every folding group needs an option")
        self.groups = groups
        self.all_default = all(default_multipliers(o) for g in groups for o in g.options)
        order = [sorted(g.options, key=lambda o: o.cycles) for g in groups]  # stable
        self._options = [o for options in order for o in options]
        sizes = [len(options) for options in order]
        self._starts = np.cumsum([0, *sizes[:-1]])
        self._group = np.repeat(np.arange(len(groups)), sizes)
        self._cycles = np.array([o.cycles for o in self._options], dtype=np.int64)
        self._default = np.array([default_multipliers(o) for o in self._options], dtype=bool)
        self._uses = {
            kind: np.array([o.resources.get(kind, 0.0) for o in self._options], dtype=np.float64)
            for kind in RESOURCE_KINDS
        }
        self._costs: dict[tuple, np.ndarray] = {}

    def costs(self, board: Mapping[str, float], weights: Weights) -> np.ndarray:
        """option_cost of every option, as a vector (same additions, same order); kept for
        the weightings that recur (the plain cost, one discounted term), not for the
        scarcity raises, which rarely repeat."""
        key = (tuple(sorted(board.items())), tuple(sorted((weights or {}).items())))
        if key in self._costs:
            return self._costs[key]
        weights = weights or {}
        total = np.zeros(len(self._options))
        for kind in RESOURCE_KINDS:
            total = total + weights.get(kind, 1.0) * self._uses[kind] / board[kind]
        if len(weights) <= 1:
            self._costs[key] = total
        return total

    def choose(
        self, budget: int, board: Mapping[str, float], weights: Weights = None
    ) -> list[Option] | None:
        """Each group's cheapest option (option_cost, then cycles, then listed first) with
        cycles <= budget: with weights None among the default multipliers where one fits,
        else among all; None when a group has none within the budget."""
        if not self.groups:
            return []
        feasible = self._cycles <= budget
        costs = self.costs(board, weights)
        if weights is None:
            first = self._first_cheapest(costs, feasible & self._default)
            if (first < 0).any():  # no default option fits: any option of that group
                first = np.where(first < 0, self._first_cheapest(costs, feasible), first)
        else:
            first = self._first_cheapest(costs, feasible)
        if (first < 0).any():
            return None
        return [self._options[i] for i in first]

    def _first_cheapest(self, costs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """Per group, the first allowed position of least cost (positions run by cycles,
        then listed order: the scan's tie rule); -1 where a group allows none."""
        masked = np.where(allowed, costs, np.inf)
        least = np.minimum.reduceat(masked, self._starts)
        hit = allowed & (masked == least[self._group])
        positions = np.where(hit, np.arange(len(costs)), len(costs))
        first = np.minimum.reduceat(positions, self._starts)
        return np.where(first == len(costs), -1, first)


class FoldCandidates:
    """Every weight-streaming set's choice table for one model (and resource factors),
    built once: AutoFold's cap refolds and target searches on the same model share it,
    so node costs and cheapest-option tables carry over from one search to the next."""

    def __init__(self, model: ModelWrapper, factors: Factors | None = None):
        self.factors = factors
        costs = NodeCosts(port_nodes(model), factors)
        self.plans: list[ChoiceTable] = []
        for streamed in streamable_sets(model):  # no streaming first
            groups = folding_groups(model, streamed, factors, costs)
            empty = [g for g in groups if not g.options]
            if empty:
                names = ", ".join(n.name for n in empty[0].nodes)
                raise QnnflowError(f"no legal folding for {names}")
            self.plans.append(ChoiceTable(groups))
