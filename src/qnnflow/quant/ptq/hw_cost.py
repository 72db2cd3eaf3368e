"""What a quantized model costs on a board, by the compiler's own estimates: the exported
QONNX goes through the build's import, tidy, streamline and to_hw, then every folding group
takes its cheapest legal folding (fully folded, no weight streaming: the least it can use),
and the board's fold step says whether it fits. Host nodes (the first quantizer, the final
scaling) are excluded, as the build excludes them.

The automatic mixed-precision search calls this once per candidate configuration, so it
skips the build's bit-exact checks of every transform; the chosen model is built for real
by `qnnflow build`, which checks them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.estimate import PLATFORM_OVERHEAD, RESOURCE_KINDS
from qnnflow.boards import Board
from qnnflow.errors import QnnflowError


@dataclass
class HardwareCost:
    """Resources of the cheapest folding (platform shell included), their fraction of the
    board's allowed budget per kind, and whether the build's AutoFold finds a folding."""

    resources: dict[str, float]
    pressure: dict[str, float]  # used / (board * fold cap * budget fraction), per kind
    fits: bool
    fold_failure: str | None = None
    layers: dict[str, dict[str, float]] = field(default_factory=dict)  # cheapest, per group
    host_ops: list[str] = field(default_factory=list)

    @property
    def worst(self) -> float:
        """The most used kind's pressure: > 1 means it does not fit even fully folded."""
        return max(self.pressure.values())

    @property
    def total(self) -> float:
        """Sum of the pressures: the tie-breaker when the worst kind does not move."""
        return sum(self.pressure.values())

    def to_dict(self) -> dict:
        return {
            "fits": self.fits,
            "fold_failure": self.fold_failure,
            "resources_fully_folded": {k: round(v, 1) for k, v in self.resources.items()},
            "pressure": {k: round(v, 4) for k, v in self.pressure.items()},
            "host_ops": self.host_ops,
        }


def to_hardware(path: Path) -> ModelWrapper:
    """QONNX file -> the build's hardware graph (after to_hw); a refusal names its reason."""
    from qnnflow.analysis.host_nodes import host_report
    from qnnflow.frontend.onnx_import import load_onnx
    from qnnflow.transforms.streamline import Streamline
    from qnnflow.transforms.tidy import TidyUp
    from qnnflow.transforms.to_hw import ConvertToHW

    model = load_onnx(Path(path), None).transform(TidyUp())
    model = model.transform(Streamline()).transform(ConvertToHW())
    problem = host_report(model)["problem"]
    if problem is not None:
        raise QnnflowError(f"the compiler refuses this model at to_hw: {_one_line(problem)}")
    return model


def _one_line(problem: str) -> str:
    """The to_hw problem's headline and its first reason that is not a layout change (the
    Transposes around a host node are a consequence, not the cause)."""
    lines = [line.strip() for line in problem.splitlines() if line.strip()]
    causes = [line for line in lines[1:] if not line.startswith("Transpose ")]
    headline = lines[0].split(" (")[0] if lines else problem
    return f"{headline}; first: {causes[0]}" if causes else headline


def _caps(budget: float) -> dict[str, float]:
    from qnnflow.transforms.fold.auto_fold import DEFAULT_CAPS

    return {k: DEFAULT_CAPS[k] * budget for k in RESOURCE_KINDS}


def hardware_cost(path: Path, board: Board, budget: float = 1.0) -> HardwareCost:
    """The cost of the QONNX at `path` on `board` with `budget` (a fraction of the fold
    step's caps): cheapest-folding resources, and whether AutoFold fits it under those caps."""
    from qnnflow.analysis.host_nodes import host_nodes
    from qnnflow.transforms.fold import AutoFold
    from qnnflow.transforms.fold.options import folding_groups

    model = to_hardware(path)
    caps = _caps(budget)
    used = dict(PLATFORM_OVERHEAD)
    layers: dict[str, dict[str, float]] = {}
    for group in folding_groups(model, frozenset()):
        if not group.options:
            names = ", ".join(n.name for n in group.nodes)
            raise QnnflowError(f"the compiler has no legal folding for {names}")
        cheapest = min(
            group.options,
            key=lambda o: sum(o.resources.get(k, 0.0) / board.resources[k] for k in used),
        )
        layers[group.nodes[-1].name] = dict(cheapest.resources)
        for kind in RESOURCE_KINDS:
            used[kind] += cheapest.resources.get(kind, 0.0)
    pressure = {k: used[k] / (caps[k] * board.resources[k]) for k in RESOURCE_KINDS}
    failure = None
    try:
        model.transform(AutoFold(board, None, caps))
    except QnnflowError as exc:
        failure = str(exc)
    return HardwareCost(
        resources=used,
        pressure=pressure,
        fits=failure is None,
        fold_failure=failure,
        layers=layers,
        host_ops=[n.op_type for n in host_nodes(model)],
    )
