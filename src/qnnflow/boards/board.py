"""Load a board description (part, clock, resource budget, DDR bandwidth) from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qnnflow.errors import QnnflowError
from qnnflow.resources import boards_dir

RESOURCE_KEYS = ("LUT", "FF", "BRAM36", "DSP", "LUTRAM")


@dataclass(frozen=True)
class Board:
    """What the compiler needs to know about a board to fold and build for it."""

    name: str
    part: str
    clock_mhz: float
    resources: dict[str, int]
    ddr_bandwidth_mb_s: float
    path: Path
    extra: dict = field(default_factory=dict, compare=False)


def available_boards() -> list[str]:
    return sorted(p.parent.name for p in boards_dir().glob("*/board.yaml"))


def find_board_file(name_or_path: str) -> Path:
    """A board name (`pynq_z2`) or a path to a board.yaml."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise QnnflowError(f"board file not found: {candidate}")
        return candidate
    path = boards_dir() / name_or_path / "board.yaml"
    if not path.is_file():
        known = ", ".join(available_boards()) or "none found"
        raise QnnflowError(f"unknown board '{name_or_path}' (known: {known}; or give a board.yaml)")
    return path


def load_board(name_or_path: str) -> Board:
    path = find_board_file(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise QnnflowError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise QnnflowError(f"{path}: expected a mapping at the top level")
    try:
        resources = {k: int(data["resources"][k]) for k in RESOURCE_KEYS}
        return Board(
            name=str(data["name"]),
            part=str(data["part"]),
            clock_mhz=float(data["clock_mhz"]),
            resources=resources,
            ddr_bandwidth_mb_s=float(data["ddr"]["usable_bandwidth_mb_s"]),
            path=path,
            extra=data,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise QnnflowError(f"{path}: missing or invalid field {exc}") from None
