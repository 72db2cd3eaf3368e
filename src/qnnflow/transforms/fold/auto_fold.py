"""Choose every layer's folding (PE, SIMD, weight memory mode) for the highest frame rate
(or a target frame rate) that fits the board's LUT/FF/BRAM/LUTRAM/DSP and DDR budget.

Method: weight streaming is tried for each candidate downward-closed set of streamable MVUs
(`streamable_sets`: streamed outputs leave channel-group-major, so everything downstream of a
streamed layer is frame-buffered);
for each, and for a cycle budget T per layer, each folding group takes its cheapest legal option
with cycles <= T (cost = sum of resource fractions of the board, ties to fewer cycles); the
pipeline is then balanced at T. T is searched (bisection over every option's cycle count,
then a scan upward) for the smallest value whose total, plus the platform overhead, fits
under the utilization caps and whose weight streaming fits the DDR bandwidth.

DSPs before LUTs: a multi-bit layer offers its multipliers by the default rule (resType
auto: DSPs when both operands exceed 4 bits) and the other way (lut or dsp). At T the
default choice (auto options only) is tried first, so a network that fits folds exactly as
it did before resType. When that overruns a budget, every option competes with the DSP
term of the cost discounted, its weight halving step by step from 1 (DSP_DISCOUNTS, down
to almost free), and the first choice that fits is taken: at full price a DSP (1/220 of
the XC7Z020's) looks dearer than the LUTs it saves (64/53200 for an int8 product), so a
DSP-bound network moves products to LUTs; as the weight falls, groups move their
multipliers onto DSPs, most LUT saved per DSP first, until the LUTs fit or the DSPs run
out. Networks without multiplier choices (binary, bipolar weights) never get that far.

Scarcity: when the plain cost's choice still overruns a resource (YOLOv3-tiny: block RAM,
with weights and frame buffers competing for 140 BRAM36), the overrun resource's weight in
the cost doubles and every group chooses again, until the choice fits (groups trade BRAM
for LUTRAM through their PE/SIMD shapes) or SCARCITY_STEPS have passed; a network that
fits with the plain cost never gets here, so its folding is unchanged.

Speed: the candidate sets' options are built once per model from node attributes read
once and costs kept per (node, folding) (`FoldCandidates`, `NodeCosts`; the fold step's
cap refolds share them), and a choice is a few vector operations over a set's options,
with cost vectors kept per weighting (`ChoiceTable`), not a scan that re-costs each one.
"""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD, RESOURCE_KINDS
from qnnflow.analysis.resource_factors import Factors
from qnnflow.boards import Board
from qnnflow.errors import QnnflowError
from qnnflow.transforms.fold.choice_table import (
    ChoiceTable,
    FoldCandidates,
    Weights,
    option_cost,
)
from qnnflow.transforms.fold.folding_config import ApplyFoldingConfig
from qnnflow.transforms.fold.options import Group, Option
from qnnflow.util.checks import positive_finite

DEFAULT_CAPS = {"LUT": 0.90, "FF": 0.85, "BRAM36": 0.90, "LUTRAM": 0.85, "DSP": 0.90}
FOLDING_KEY = "qnnflow.folding"
LARGEST_LISTED = 3  # layers named when nothing fits
DSP_DISCOUNTS = tuple(0.5**i for i in range(16))  # weights of the DSP term, tried in turn
SCARCITY_STEPS = 64  # raises of an overrun resource's cost weight (_choose_scarce)
SCARCITY_STEP = 1.25  # each raise: fine enough not to jump past the fitting mix


def largest_users(
    groups: list[Group], choice: list[Option], over: tuple[str, float, float] | None
) -> str:
    """'; most KIND: layer n, ...' naming the (up to LARGEST_LISTED) folding groups using the
    most of the overrun resource, so the user sees which layers to shrink or quantize lower."""
    if over is None:
        return ""
    kind = over[0]
    used = sorted(
        (
            (o.resources.get(kind, 0.0), g.nodes[-1].name)
            for g, o in zip(groups, choice, strict=True)
        ),
        reverse=True,
    )
    listed = ", ".join(f"{name} {amount:,.0f}" for amount, name in used[:LARGEST_LISTED] if amount)
    return f"; most {kind}: {listed}" if listed else ""


class AutoFold(Transformation):
    """Fold for max fps (target_fps=None) or the cheapest folding reaching target_fps;
    `factors` (synth.json's, per op type) scale the resource estimates (`--resources synth`).
    `candidates`: FoldCandidates of the model this transforms (same factors), to reuse
    across several AutoFolds of it (the fold step's cap refolds); built when None."""

    def __init__(
        self,
        board: Board,
        target_fps: float | None = None,
        caps: dict[str, float] | None = None,
        factors: Factors | None = None,
        candidates: FoldCandidates | None = None,
    ):
        super().__init__()
        if candidates is not None and candidates.factors != factors:
            raise ValueError("AutoFold: candidates were built with other resource factors")
        self.factors = factors
        self.candidates = candidates
        self.board = board
        self.target_fps = None if target_fps is None else positive_finite(target_fps, "target fps")
        self.caps = {**DEFAULT_CAPS, **(caps or {})}
        self.clock_hz = board.clock_mhz * 1e6

    def _cost(self, option: Option, weights: Weights = None) -> float:
        return option_cost(option, self.board.resources, weights)

    def _choose(
        self, table: ChoiceTable, budget_cycles: int, weights: Weights = None
    ) -> list[Option] | None:
        """Each group's cheapest option within the budget: among the default multipliers at
        the plain cost (weights None), else among all options with each resource's term
        scaled by `weights` (DSP discounts, scarcity)."""
        return table.choose(budget_cycles, self.board.resources, weights)

    def _choose_scarce(self, table: ChoiceTable, budget_cycles: int) -> list[Option] | None:
        """When the plain cost's choice overruns a resource, that resource is scarcer than
        its board fraction says: raise its weight in the cost by SCARCITY_STEP and choose
        again (up to SCARCITY_STEPS times), so groups trade it for what is left (BRAM for
        LUTRAM through PE/SIMD, LUTs for DSPs); the first choice that fits, else None."""
        weights = dict.fromkeys(RESOURCE_KINDS, 1.0)
        for _ in range(SCARCITY_STEPS):
            choice = self._choose(table, budget_cycles, weights)
            if choice is None:
                return None
            if self._overrun(choice, budget_cycles) is None:
                return choice
            over = self._over_budget(choice)
            if over is None:
                return None  # the DDR bandwidth, not a resource: weights do not help
            weights[over[0]] *= SCARCITY_STEP
        return None

    def _choose_fitting(self, table: ChoiceTable, budget_cycles: int) -> list[Option] | None:
        """The default multipliers' cheapest choice; when it overruns a budget, the first
        that fits as the DSP term gets cheaper (DSP_DISCOUNTS, where a layer has a multiplier
        to move), then by scarcity (`_choose_scarce`), else the default one."""
        first = self._choose(table, budget_cycles)
        if first is None or self._overrun(first, budget_cycles) is None:
            return first
        if not table.all_default:
            for weight in DSP_DISCOUNTS:
                choice = self._choose(table, budget_cycles, {"DSP": weight})
                if self._overrun(choice, budget_cycles) is None:
                    return choice
                over = self._over_budget(choice)
                if over is not None and over[0] == "DSP":
                    break  # a cheaper DSP only takes more of them
        return self._choose_scarce(table, budget_cycles) or first

    def _over_budget(self, choice: list[Option]) -> tuple[str, float, float] | None:
        """(resource kind, used, limit) of the first resource the choice overruns, or None."""
        for kind in RESOURCE_KINDS:
            used = PLATFORM_OVERHEAD[kind] + sum(o.resources.get(kind, 0.0) for o in choice)
            limit = self.caps[kind] * self.board.resources[kind]
            if used > limit:
                return kind, used, limit
        return None

    def _overrun(self, choice: list[Option], budget_cycles: int) -> str | None:
        """None when the choice fits, else which budget it breaks."""
        over = self._over_budget(choice)
        if over is not None:
            kind, used, limit = over
            return f"{kind} {used:,.0f} > {limit:,.0f}"
        fps = self.clock_hz / max(o.cycles for o in choice)
        ddr = sum(o.ddr_bytes for o in choice) * fps / 1e6
        if ddr > self.board.ddr_bandwidth_mb_s:
            return f"DDR {ddr:,.0f} MB/s > {self.board.ddr_bandwidth_mb_s:,.0f} MB/s"
        return None

    def _fits(self, table: ChoiceTable, budget_cycles: int) -> list[Option] | None:
        choice = self._choose_fitting(table, budget_cycles)
        if choice is None or self._overrun(choice, budget_cycles) is not None:
            return None
        return choice

    def _search(self, table: ChoiceTable) -> list[Option]:
        candidates = sorted({o.cycles for g in table.groups for o in g.options})
        tried: dict[int, list[Option] | None] = {}

        def fits(budget_cycles: int) -> list[Option] | None:
            if budget_cycles not in tried:
                tried[budget_cycles] = self._fits(table, budget_cycles)
            return tried[budget_cycles]

        lo, hi = 0, len(candidates) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(candidates[mid]) is not None:
                hi = mid
            else:
                lo = mid + 1
        for budget_cycles in candidates[lo:]:
            choice = fits(budget_cycles)
            if choice is not None:
                return choice
        cheapest = self._choose(table, candidates[-1])
        why = self._overrun(cheapest, candidates[-1]) if cheapest else "no legal folding"
        users = (
            largest_users(table.groups, cheapest, self._over_budget(cheapest)) if cheapest else ""
        )
        raise QnnflowError(f"no folding fits {self.board.name} even fully folded: {why}{users}")

    def _best_for_target(self, table: ChoiceTable) -> tuple[list[Option] | None, str]:
        budget_cycles = int(self.clock_hz / self.target_fps)
        choice = self._choose_fitting(table, budget_cycles)
        if choice is None:
            return None, "a layer cannot reach it at any folding"
        why = self._overrun(choice, budget_cycles)
        return (None, why) if why else (choice, "")

    def _rank(self, choice: list[Option]) -> tuple[int, float]:
        """Faster first; at equal speed, the cheaper plan (weight streaming sets often tie)."""
        return max(o.cycles for o in choice), sum(self._cost(o) for o in choice)

    def _max_fps(self, plans: list[ChoiceTable]) -> list[Option]:
        best, failure = None, ""
        for table in plans:
            try:
                choice = self._search(table)
            except QnnflowError as exc:
                failure = str(exc)
                continue
            if best is None or self._rank(choice) < self._rank(best):
                best = choice
        if best is None:
            raise QnnflowError(failure)
        return best

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        plans = (self.candidates or FoldCandidates(model, self.factors)).plans
        if self.target_fps is None:
            choice = self._max_fps(plans)
        else:
            results = [self._best_for_target(table) for table in plans]
            fitting = [c for c, _ in results if c is not None]
            if not fitting:
                best = self.clock_hz / max(o.cycles for o in self._max_fps(plans))
                raise QnnflowError(
                    f"target {self.target_fps:g} fps does not fit "
                    f"{self.board.name} ({results[0][1]}); the best that fits "
                    f"is {best:.1f} fps"
                )
            choice = min(fitting, key=lambda c: sum(self._cost(o) for o in c))
        config = {name: attrs for o in choice for name, attrs in o.attrs.items()}
        model = model.transform(ApplyFoldingConfig(config))
        model.set_metadata_prop(
            FOLDING_KEY,
            json.dumps(
                {
                    "board": self.board.name,
                    "target_fps": self.target_fps,
                    "caps": self.caps,
                    "cycles_budget": max(o.cycles for o in choice),
                    "resources": "synth" if self.factors else "estimate",
                }
            ),
        )
        return model, False
