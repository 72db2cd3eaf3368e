"""Hardware-aware automatic mixed precision: per-layer bits that make the compiled model fit
the board at the smallest accuracy cost.

1. Sensitivity: top-1 drop with each layer alone at each candidate width (rest float).
2. Start every layer at the highest candidate. While the compiler's estimate of the exported
   model (cheapest folding, `hw_cost`) does not fit the board (AutoFold under the fold
   step's caps times `budget`), try lowering each layer one candidate step, and take the
   step with the most resource pressure saved per point of drop added (drops from the
   table; pressure = used / allowed of the most used resource, summed pressure breaks ties).
3. Quantize the chosen configuration for real and measure its drop; fail (nothing written)
   when the drop, predicted or measured, exceeds `max_drop`.

A layer's weights and its output activation move together (w_b a_b); the network output
stays as the options say (float by default: the last layer's accumulator)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qnnflow.boards import Board
from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.hw_cost import HardwareCost, hardware_cost
from qnnflow.quant.ptq.mixed import LayerRule
from qnnflow.quant.ptq.sensitivity import AccuracyProbe, SensitivityTable, layer_sensitivity

Config = dict[str, int]
Progress = Callable[[str], None]
MIN_DROP = 0.01  # points: a step adding less counts as this much (ratio stays finite)


def config_rules(config: Config) -> tuple[LayerRule, ...]:
    """A layer -> bits configuration as mixed-precision rules (weights and activation)."""
    return tuple(LayerRule(name, bits, bits, False) for name, bits in config.items())


def config_yaml(config: Config) -> str:
    """The configuration as a `quantize --mixed` YAML file."""
    lines = ["# written by qnnflow quantize --auto-mixed", "layers:"]
    lines += [f"  {name}: {{weight_bits: {b}, act_bits: {b}}}" for name, b in config.items()]
    return "\n".join(lines) + "\n"


@dataclass
class SearchStep:
    """One greedy step: the layer lowered, its bits, and what it saved and cost."""

    layer: str
    from_bits: int
    to_bits: int
    pressure_saved: float
    drop_added: float
    worst_pressure: float

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "from_bits": self.from_bits,
            "to_bits": self.to_bits,
            "pressure_saved": round(self.pressure_saved, 4),
            "drop_added_points": round(self.drop_added, 4),
            "worst_pressure_after": round(self.worst_pressure, 4),
        }


@dataclass
class AutoMixedResult:
    """The chosen configuration, its predicted and measured drop and hardware cost."""

    config: Config
    table: SensitivityTable
    cost: HardwareCost
    predicted_drop: float
    top1: float | None = None
    steps: list[SearchStep] = field(default_factory=list)
    evaluated: int = 0

    @property
    def drop(self) -> float | None:
        return None if self.top1 is None else 100 * (self.table.float_top1 - self.top1)

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "float_top1": round(100 * self.table.float_top1, 4),
            "top1": None if self.top1 is None else round(100 * self.top1, 4),
            "drop_points": None if self.drop is None else round(self.drop, 4),
            "predicted_drop_points": round(self.predicted_drop, 4),
            "hardware": self.cost.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "configurations_estimated": self.evaluated,
            "sensitivity": self.table.to_dict(),
        }


class NoFit(QnnflowError):
    """No configuration fits the board within the allowed drop; carries the table."""

    def __init__(self, message: str, table: SensitivityTable, steps: list[SearchStep]):
        super().__init__(message)
        self.table = table
        self.steps = steps


class _CostCache:
    """Hardware cost per configuration: quantize (one calibration batch: the bits, not the
    scales, set the resources), export QONNX, estimate; each configuration once."""

    def __init__(self, probe: AccuracyProbe, board: Board, budget: float, scratch: Path):
        self.probe, self.board, self.budget, self.scratch = probe, board, budget, scratch
        self.costs: dict[tuple, HardwareCost] = {}

    def __call__(self, config: Config) -> HardwareCost:
        from qnnflow.quant.ptq.export import export_qonnx

        key = tuple(sorted(config.items()))
        if key not in self.costs:
            qmodule = self.probe.quantized(config_rules(config), self.probe.batches[:1])
            path = self.scratch / f"config{len(self.costs)}.onnx"
            export_qonnx(qmodule, self.probe.float_model.input_shape, path)
            self.costs[key] = hardware_cost(path, self.board, self.budget)
        return self.costs[key]


def predicted_drop(table: SensitivityTable, config: Config) -> float:
    """Sum of the layers' own drops at their bits (negative drops count as 0)."""
    return sum(max(table.drop(name, b, b), 0.0) for name, b in config.items())


def _best_step(config, candidates, table, cost, current):
    """The lowering with the most pressure saved per point of drop, or None."""
    best = None
    for name, bits in config.items():
        index = candidates.index(bits)
        if index + 1 == len(candidates):
            continue
        lower = candidates[index + 1]
        after = cost({**config, name: lower})
        saved = (current.worst - after.worst) + 1e-3 * (current.total - after.total)
        if saved <= 0:
            continue
        added = max(table.drop(name, lower, lower) - table.drop(name, bits, bits), 0.0)
        ratio = saved / max(added, MIN_DROP)
        if best is None or ratio > best[0]:
            best = (ratio, SearchStep(name, bits, lower, saved, added, after.worst), after)
    return best


def search_mixed(
    probe: AccuracyProbe,
    board: Board,
    candidates: Sequence[int],
    max_drop: float,
    budget: float = 1.0,
    progress: Progress | None = None,
) -> AutoMixedResult:
    """Greedy search (module docstring); raises NoFit when nothing fits within `max_drop`."""
    candidates = sorted(set(candidates), reverse=True)
    say = progress or (lambda _: None)
    from qnnflow.quant.ptq.quantize import layer_names

    config: Config = dict.fromkeys(layer_names(probe.float_model), candidates[0])
    steps: list[SearchStep] = []
    with tempfile.TemporaryDirectory(prefix="qnnflow-automixed-") as scratch:
        cost = _CostCache(probe, board, budget, Path(scratch))
        say("hardware estimate, all layers at the highest bits")
        current = cost(config)  # first: a model the compiler refuses fails here, in seconds
        table = layer_sensitivity(probe, [(b, b) for b in candidates], say)
        while not current.fits:
            say(f"lowering one layer (worst resource at {100 * current.worst:.0f}% of budget)")
            best = _best_step(config, candidates, table, cost, current)
            if best is None:
                raise NoFit(
                    f"no configuration of bits {','.join(map(str, candidates))} fits "
                    f"{board.name} at budget {budget:g}: {current.fold_failure}",
                    table,
                    steps,
                )
            _, step, current = best
            config[step.layer] = step.to_bits
            steps.append(step)
            guess = predicted_drop(table, config)
            if guess > max_drop:
                raise NoFit(
                    f"fitting {board.name} needs more than the allowed {max_drop:g} points of "
                    f"drop (predicted {guess:.2f} after lowering {step.layer} to {step.to_bits} "
                    f"bits; {current.fold_failure or 'it fits now'})",
                    table,
                    steps,
                )
        evaluated = len(cost.costs)
    result = AutoMixedResult(config, table, current, predicted_drop(table, config), None, steps)
    result.evaluated = evaluated
    return result
