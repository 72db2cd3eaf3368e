"""Two clean builds in two folders are byte-identical but for wall-clock timing fields: every
tensor name is derived from the graph, zip entries carry a fixed date and order."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from qnnflow.flow import BuildConfig, run_build
from tests.conftest import DEFAULT_CFG
from tests.flow.micro import micro_config

# The only fields that may differ, all wall-clock measurements of this run:
TIMING_KEYS = {
    # each step's run time, and the recorded digests of the three files that hold times
    "build_state.json": {"seconds", "cppsim/cppsim.json", "report.md", "report.json"},
    "report.json": {"seconds"},  # the same step times, copied into the report
    "cppsim/cppsim.json": {"seconds_per_frame"},  # wall time of one simulated frame
}
# report.md's step table: `| step | `NN_step.onnx` | seconds |`
STEP_ROW = re.compile(r"^(\| \w+ \| `\d\d_\w+\.onnx` \|) [0-9.]+ \|$", re.MULTILINE)
FILE_KINDS = {".onnx", ".cpp", ".hpp", ".tcl", ".json", ".npz", ".npy", ".zip", ".md", ".py"}


def _drop(value, keys: set[str]):
    if isinstance(value, dict):
        return {k: _drop(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_drop(v, keys) for v in value]
    return value


def _comparable(folder: Path, name: str) -> bytes:
    data = (folder / name).read_bytes()
    if name in TIMING_KEYS:
        return json.dumps(_drop(json.loads(data), TIMING_KEYS[name]), sort_keys=True).encode()
    if name == "report.md":
        return STEP_ROW.sub(r"\1 - |", data.decode()).encode()
    return data


def differences(a: Path, b: Path) -> list[str]:
    """Files only in one build, or whose contents differ outside the timing fields."""
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    found = [f"only in one build: {name}" for name in sorted(files_a ^ files_b)]
    for name in sorted(files_a & files_b):
        if _comparable(a, name) != _comparable(b, name):
            found.append(name)
    return found


def test_timing_fields_are_all_that_is_ignored(tmp_path):
    """The normalisation is narrow: a changed non-timing value is still a difference."""
    for side, seconds, fps in (("a", 1.5, 10), ("b", 2.5, 11)):
        (tmp_path / side).mkdir()
        state = {"steps": {"import": {"fingerprint": "f", "seconds": seconds}}}
        (tmp_path / side / "build_state.json").write_text(json.dumps(state))
        row = f"| import | `01_import.onnx` | {seconds:.2f} |\n| fps | {fps} |\n"
        (tmp_path / side / "report.md").write_text(row)
    assert differences(tmp_path / "a", tmp_path / "b") == ["report.md"]


def test_two_clean_builds_are_byte_identical_but_for_timing(micro_build, tmp_path):
    model, first = micro_build
    began = time.perf_counter()
    second = run_build(micro_config(model, tmp_path / "second", to_step="report"))
    print(f"second micro build: {time.perf_counter() - began:.1f} s")  # shown with -s
    assert second.ran[-1] == "report"
    a, b = first / "micro", tmp_path / "second" / "micro"
    assert differences(a, b) == []
    kinds = {p.suffix for p in a.rglob("*") if p.is_file()}
    assert FILE_KINDS <= kinds, FILE_KINDS - kinds
    assert (a / "deploy.zip").read_bytes() == (b / "deploy.zip").read_bytes()


@pytest.mark.slow
def test_two_clean_builds_of_the_default_model_are_identical(tmp_path):
    """The default model at its full input size, through the report (minutes)."""
    roots = [tmp_path / "one", tmp_path / "two"]
    for root in roots:
        run_build(BuildConfig(model=DEFAULT_CFG, output_root=root, to_step="report"))
    name = DEFAULT_CFG.stem
    assert differences(roots[0] / name, roots[1] / name) == []
