"""build_state.json: which steps ran, with which inputs, so a build can resume."""

from __future__ import annotations

import json
from pathlib import Path

from qnnflow.util.atomic import atomic_write_text

STATE_FILE = "build_state.json"


def load_state(output_dir: Path) -> dict:
    path = output_dir / STATE_FILE
    if not path.is_file():
        return {"steps": {}}
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError:
        return {"steps": {}}
    return state if isinstance(state.get("steps"), dict) else {"steps": {}}


def save_state(output_dir: Path, state: dict) -> None:
    atomic_write_text(output_dir / STATE_FILE, json.dumps(state, indent=2))
