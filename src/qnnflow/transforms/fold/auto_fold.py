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
"""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD, RESOURCE_KINDS
from qnnflow.boards import Board
from qnnflow.errors import QnnflowError
from qnnflow.transforms.fold.folding_config import ApplyFoldingConfig
from qnnflow.transforms.fold.options import Group, Option, folding_groups, streamable_sets
from qnnflow.util.checks import positive_finite

DEFAULT_CAPS = {"LUT": 0.90, "FF": 0.85, "BRAM36": 0.90, "LUTRAM": 0.85, "DSP": 0.90}
FOLDING_KEY = "qnnflow.folding"
LARGEST_LISTED = 3  # layers named when nothing fits


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
    """Fold for max fps (target_fps=None) or the cheapest folding reaching target_fps."""

    def __init__(
        self, board: Board, target_fps: float | None = None, caps: dict[str, float] | None = None
    ):
        super().__init__()
        self.board = board
        self.target_fps = None if target_fps is None else positive_finite(target_fps, "target fps")
        self.caps = {**DEFAULT_CAPS, **(caps or {})}
        self.clock_hz = board.clock_mhz * 1e6

    def _cost(self, option: Option) -> float:
        return sum(option.resources.get(k, 0.0) / self.board.resources[k] for k in RESOURCE_KINDS)

    def _choose(self, groups: list[Group], budget_cycles: int) -> list[Option] | None:
        choice = []
        for group in groups:
            feasible = [o for o in group.options if o.cycles <= budget_cycles]
            if not feasible:
                return None
            choice.append(min(feasible, key=lambda o: (self._cost(o), o.cycles)))
        return choice

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

    def _fits(self, groups: list[Group], budget_cycles: int) -> list[Option] | None:
        choice = self._choose(groups, budget_cycles)
        if choice is None or self._overrun(choice, budget_cycles) is not None:
            return None
        return choice

    def _search(self, groups: list[Group]) -> list[Option]:
        candidates = sorted({o.cycles for g in groups for o in g.options})
        lo, hi = 0, len(candidates) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self._fits(groups, candidates[mid]) is not None:
                hi = mid
            else:
                lo = mid + 1
        for budget_cycles in candidates[lo:]:
            choice = self._fits(groups, budget_cycles)
            if choice is not None:
                return choice
        cheapest = self._choose(groups, candidates[-1])
        why = self._overrun(cheapest, candidates[-1]) if cheapest else "no legal folding"
        raise QnnflowError(
            f"no folding fits {self.board.name} even fully folded: {why}"
            + (largest_users(groups, cheapest, self._over_budget(cheapest)) if cheapest else "")
        )

    def _best_for_target(self, groups: list[Group]) -> tuple[list[Option] | None, str]:
        budget_cycles = int(self.clock_hz / self.target_fps)
        choice = self._choose(groups, budget_cycles)
        if choice is None:
            return None, "a layer cannot reach it at any folding"
        why = self._overrun(choice, budget_cycles)
        return (None, why) if why else (choice, "")

    def _candidates(self, model: ModelWrapper) -> list[list[Group]]:
        plans = []
        for streamed in streamable_sets(model):  # no streaming first
            groups = folding_groups(model, streamed)
            empty = [g for g in groups if not g.options]
            if empty:
                names = ", ".join(n.name for n in empty[0].nodes)
                raise QnnflowError(f"no legal folding for {names}")
            plans.append(groups)
        return plans

    def _max_fps(self, plans: list[list[Group]]) -> list[Option]:
        best, failure = None, ""
        for groups in plans:
            try:
                choice = self._search(groups)
            except QnnflowError as exc:
                failure = str(exc)
                continue
            if best is None or max(o.cycles for o in choice) < max(o.cycles for o in best):
                best = choice
        if best is None:
            raise QnnflowError(failure)
        return best

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        plans = self._candidates(model)
        if self.target_fps is None:
            choice = self._max_fps(plans)
        else:
            results = [self._best_for_target(groups) for groups in plans]
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
                }
            ),
        )
        return model, False
