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
    # each step's run time, and the recorded digests of the files that hold times
    "build_state.json": {
        "seconds",
        "cppsim/cppsim.json",
        "report.md",
        "report.html",
        "report.json",
        "estimate.json",
        "estimate.md",
    },
    # the same step times, copied into the report; its headline's end-to-end rate (timed
    # here, see below) and the build state's line (paths of this machine)
    "report.json": {"seconds", "end_to_end_fps", "end_to_end_stage", "message"},
    "cppsim/cppsim.json": {"seconds_per_frame"},  # wall time of one simulated frame
    # each step's and each verified transform's seconds (rewrite and check apart)
    "profile.json": {"seconds", "transform_s", "check_s"},
}
# the end-to-end estimate's host stages are timed on this machine, and all that follows
# from them (the stage times, the scaling factor, the rate and the stage that sets it)
END_TO_END_TIMED = {"fps", "slowest_stage", "factor", "conv0_here_ms", "board_ms", "here_ms"}
HOST_PARTS = "parts"  # ms per part, measured for the host stages (empty for DMA, accelerator)
# report.md's step table: `| step | `NN_step.onnx` | seconds |`
STEP_ROW = re.compile(r"^(\| \w+ \| `\d\d_\w+\.onnx` \|) [0-9.]+ \|$", re.MULTILINE)
# the end-to-end table's measured rows and its summary line (analysis/end_to_end_table.py)
MEASURED_ROW = re.compile(r"^(\| host [^|]*\|[^|]*\|)[^\n]*$|^end to end: .*$", re.MULTILINE)
# report.md's headline rows that hold timings or paths (report/headline.py: Row.machine)
HEADLINE_MACHINE_ROW = re.compile(r"^\| (fps \(end to end\)|build) \|.*$", re.MULTILINE)
# report.html's cards, rows and sections of the same (class "machine")
HTML_MACHINE = re.compile(r'<(div|tr|details) class="[^"]*machine[^"]*".*?</\1>', re.DOTALL)
FILE_KINDS = {".onnx", ".cpp", ".hpp", ".tcl", ".json", ".npz", ".npy", ".zip", ".md", ".py"}
FILE_KINDS |= {".html", ".svg"}


def _drop(value, keys: set[str]):
    if isinstance(value, dict):
        return {k: _drop(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_drop(v, keys) for v in value]
    return value


def _without_measured(estimate: dict) -> dict:
    """estimate.json with the end-to-end estimate's timed values set aside; the accelerator
    and DMA stages' computed notes, names and places stay compared."""
    end_to_end = estimate.get("end_to_end")
    if end_to_end is not None:
        end_to_end = _drop(end_to_end, END_TO_END_TIMED)
        for stage in end_to_end.get("stages", []):
            stage[HOST_PARTS] = sorted(stage[HOST_PARTS])  # which parts, not their times
    return {**estimate, "end_to_end": end_to_end}


def _comparable(folder: Path, name: str) -> bytes:
    data = (folder / name).read_bytes()
    if name in TIMING_KEYS:
        return json.dumps(_drop(json.loads(data), TIMING_KEYS[name]), sort_keys=True).encode()
    if name == "estimate.json":
        return json.dumps(_without_measured(json.loads(data)), sort_keys=True).encode()
    if name in ("report.md", "estimate.md"):
        text = HEADLINE_MACHINE_ROW.sub(r"| \1 | - |", data.decode())
        text = STEP_ROW.sub(r"\1 - |", text)
        return MEASURED_ROW.sub(lambda m: m.group(1) or "end to end: -", text).encode()
    if name == "report.html":
        return HTML_MACHINE.sub(r"<\1 machine>", data.decode()).encode()
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


def test_end_to_end_timing_is_set_aside_but_the_stages_are_compared(tmp_path):
    """Measured host times may differ; a changed stage, part or accelerator time may not."""
    stage = {"name": "host pre", "runs_on": "ARM core 0", "board_ms": 1.0, "here_ms": 0.1}
    for side, ms, part in (("a", 1.0, "pack"), ("b", 2.0, "pack"), ("c", 1.0, "letterbox")):
        (tmp_path / side).mkdir()
        host = {**stage, "board_ms": ms, "parts": {part: ms}}
        e2e = {"fps": 1e3 / ms, "factor": ms, "stages": [host]}
        data = {"fps": 10.0, "end_to_end": e2e}
        (tmp_path / side / "estimate.json").write_text(json.dumps(data))
        row = f"| host pre | ARM core 0 | {ms} | {ms * 9} | pack {ms} |\n| DMA | HP0 | - | 1 |\n"
        (tmp_path / side / "estimate.md").write_text(row + f"end to end: {1e3 / ms} fps\n")
    assert differences(tmp_path / "a", tmp_path / "b") == []
    assert differences(tmp_path / "a", tmp_path / "c") == ["estimate.json"]
    (tmp_path / "b" / "estimate.md").write_text("| DMA | HP0 | - | 2 |\n")
    assert differences(tmp_path / "a", tmp_path / "b") == ["estimate.md"]


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
