"""Per-op correction factors of the resource estimates, measured by synthesis: for each op
type and resource, (sum synthesized) / (sum estimated) over the layers synthesized.
`--resources synth` multiplies the estimates AutoFold budgets with by these factors; a
resource an op type has no factor for (not synthesized, or estimated 0) keeps its estimate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.ops.estimate import zero_resources

Factors = dict[str, dict[str, float]]  # op type -> resource -> synthesized / estimated
RESOURCE_SOURCES = ("estimate", "synth")  # what AutoFold's resource figures come from
RESOURCE_KINDS = tuple(zero_resources())
SYNTH_FILE = "synth.json"  # the synth step's output in the build folder


def measure_factors(rows: Iterable[Mapping]) -> Factors:
    """Factors from rows of {op, estimate: {kind: n}, synth: {kind: n}} (synth.json layers)."""
    sums: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        per_op = sums.setdefault(row["op"], {})
        for kind in RESOURCE_KINDS:
            pair = per_op.setdefault(kind, [0.0, 0.0])
            pair[0] += float(row["estimate"].get(kind, 0.0))
            pair[1] += float(row["synth"].get(kind, 0.0))
    return {
        op: {kind: round(s / e, 4) for kind, (e, s) in kinds.items() if e > 0}
        for op, kinds in sorted(sums.items())
    }


def corrected(op_type: str, resources: Mapping[str, float], factors: Factors | None) -> dict:
    """The estimate scaled by the op type's factors (unchanged without factors)."""
    scale = (factors or {}).get(op_type, {})
    return {kind: value * scale.get(kind, 1.0) for kind, value in resources.items()}


def _checked(data: object, path: Path) -> Factors:
    if not isinstance(data, dict):
        raise QnnflowError(f"{path}: 'factors' must map op types to {{resource: factor}}")
    factors: Factors = {}
    for op, kinds in data.items():
        if not isinstance(kinds, dict):
            raise QnnflowError(f"{path}: factors of {op} must map resources to numbers")
        for kind, value in kinds.items():
            if kind not in RESOURCE_KINDS:
                raise QnnflowError(f"{path}: {op}: unknown resource {kind!r}")
            if not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise QnnflowError(f"{path}: {op} {kind}: factor {value!r} is not a number >= 0")
        factors[str(op)] = {k: float(v) for k, v in kinds.items()}
    return factors


def load_factors(path: Path) -> Factors:
    """The factors a synth.json (`qnnflow synth` or the synth step) measured."""
    path = Path(path)
    if not path.is_file():
        raise QnnflowError(
            f"--resources synth needs measured factors: {path} not found (run the synth step, "
            "`qnnflow build ... --to-step synth`, or `qnnflow synth BUILD_DIR` first)"
        )
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise QnnflowError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or "factors" not in data:
        raise QnnflowError(f"{path}: no 'factors' (expected a synth.json)")
    return _checked(data["factors"], path)
