"""profile.json: each step's seconds and, inside it, each verified transform's seconds split
into the rewrite ("transform_s") and its before/after check ("check_s"). A timing file: it
is not hashed for resume and not packaged; a resumed build keeps the skipped steps' rows."""

from __future__ import annotations

import json
from pathlib import Path

from qnnflow.util.atomic import atomic_write_text
from qnnflow.util.profile import TransformTime, as_rows

PROFILE_FILE = "profile.json"


def load_profile(output_dir: Path) -> dict[str, dict]:
    """{step: {"seconds", "transforms": [{"transform", "transform_s", "check_s"}]}}."""
    path = output_dir / PROFILE_FILE
    try:
        steps = json.loads(path.read_text()).get("steps", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return steps if isinstance(steps, dict) else {}


def save_step_profile(
    output_dir: Path, order: list[str], step: str, seconds: float, times: list[TransformTime]
) -> None:
    """Record `step`'s times; the steps after it (rerun or not run now) lose theirs."""
    steps = load_profile(output_dir)
    steps[step] = {"seconds": round(seconds, 3), "transforms": as_rows(times)}
    later = set(order[order.index(step) + 1 :])
    kept = {name: steps[name] for name in order if name in steps and name not in later}
    atomic_write_text(output_dir / PROFILE_FILE, json.dumps({"steps": kept}, indent=2))
