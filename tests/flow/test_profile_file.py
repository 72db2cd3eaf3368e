"""profile.json: every step's seconds and one row per verified transform (--verify full) or
per checked group of transforms (fast, the default), rewrite and check seconds apart; a
rerun step replaces its row and drops the steps after it."""

from __future__ import annotations

import json

from qnnflow.flow import run_build
from qnnflow.flow.profile_file import PROFILE_FILE, load_profile, save_step_profile
from qnnflow.flow.state import load_state
from qnnflow.util.profile import TransformTime
from tests.flow.micro import micro_config

ORDER = ["import", "tidy", "verify", "streamline"]


def _profiled(folder) -> tuple[dict, dict[str, list[str]]]:
    steps = json.loads((folder / PROFILE_FILE).read_text())["steps"]
    assert list(steps) == list(load_state(folder)["steps"])  # the steps that ran, in order
    names = {
        step: [row["transform"] for row in entry["transforms"]] for step, entry in steps.items()
    }
    assert names["streamline"] == ["Streamline"] and names["to_hw"] == ["ConvertToHW"]
    return steps, names


def test_a_fast_build_profiles_every_step_and_each_checked_group(micro_build):
    _, root = micro_build
    steps, names = _profiled(root / "micro")
    assert names["fold"] == ["AutoFold + InsertWidthConverters + InsertFIFOs"]  # the chosen one
    assert names["import"] == names["tidy"] == names["cppsim"] == []
    _within_steps(steps)


def test_a_full_build_profiles_each_verified_transform(micro_build, tmp_path):
    model, _ = micro_build
    build = run_build(micro_config(model, tmp_path, to_step="fold", verify="full"))
    steps, names = _profiled(build.output_dir)
    fold = names["fold"]  # the folding, then its plumbing; again for each refold
    assert fold[:3] == ["AutoFold", "InsertWidthConverters", "InsertFIFOs"] and len(fold) % 3 == 0
    _within_steps(steps)


def _within_steps(steps: dict) -> None:
    for entry in steps.values():
        spent = sum(row["transform_s"] + row["check_s"] for row in entry["transforms"])
        assert spent <= entry["seconds"] + 0.01
        assert all(row["transform_s"] >= 0 and row["check_s"] >= 0 for row in entry["transforms"])


def test_a_rerun_step_replaces_its_row_and_drops_the_later_ones(tmp_path):
    row = TransformTime("Streamline", 0.5, 1.5)
    for step in ORDER:
        save_step_profile(tmp_path, ORDER, step, 2.0, [row] if step == "streamline" else [])
    save_step_profile(tmp_path, ORDER, "tidy", 0.25, [])
    steps = load_profile(tmp_path)
    assert list(steps) == ["import", "tidy"] and steps["tidy"]["seconds"] == 0.25
    (tmp_path / PROFILE_FILE).write_text("{not json")
    save_step_profile(tmp_path, ORDER, "streamline", 3.0, [row])
    assert load_profile(tmp_path) == {
        "streamline": {
            "seconds": 3.0,
            "transforms": [{"transform": "Streamline", "transform_s": 0.5, "check_s": 1.5}],
        }
    }
