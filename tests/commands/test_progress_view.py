"""The build's console: one plain line per step with its seconds in CI or off a terminal,
bars for the library's tasks on a terminal, and no bar left behind by a failing task."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from qnnflow.cli import main
from qnnflow.commands.progress_view import BuildView, is_quiet
from qnnflow.flow.steps import step_names
from qnnflow.util import progress

STEP_LINE = re.compile(r"^✓ (\w+) \(done\) \d+\.\d\d s$")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_in_ci_or_off_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert is_quiet(io.StringIO()) and not is_quiet(Terminal())
    monkeypatch.setenv("CI", "true")
    assert is_quiet(Terminal())


def test_quiet_view_prints_one_plain_line_per_step_and_no_bars():
    out = io.StringIO()
    console = Console(file=out, color_system=None, force_terminal=False, soft_wrap=True)
    with BuildView(quiet=True, console=console) as view:
        view.on_step("import", "skipped")
        view.on_step("tidy", "running")
        with progress.task("g++ top_sim.cpp", 2) as work:
            work.advance(2)
        assert view.showing() == []
        view.on_step("tidy", "done")
        view.on_step("ip", "running")
        view.on_step("ip", "waiting")
    lines = out.getvalue().splitlines()
    assert lines[0] == "✓ import (skipped)"
    assert STEP_LINE.match(lines[1]).group(1) == "tidy"
    assert re.fullmatch(r"… ip \(needs a vendor tool\) \d+\.\d\d s", lines[2])
    assert len(lines) == 3 and "\x1b" not in out.getvalue()


def test_live_view_shows_the_step_and_its_tasks_and_drops_a_failing_one():
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with BuildView(quiet=False, console=console) as view:
        view.on_step("cppsim", "running")
        assert view.live
        with progress.task("C++ simulation, layers", 3) as layers:
            layers.advance()
            assert view.showing() == [("step cppsim", 0, None), ("C++ simulation, layers", 1, 3)]
        with pytest.raises(RuntimeError), progress.task("g++ top_sim.cpp"):
            assert view.showing()[-1] == ("g++ top_sim.cpp", 0, None)
            raise RuntimeError("g++ killed")
        assert view.showing() == [("step cppsim", 0, None)]
        view.on_step("cppsim", "done")
        assert view.showing() == []
    assert not view.live
    with progress.task("after the build"):  # the renderer is uninstalled again
        assert view.showing() == []


@pytest.mark.parametrize("ci", ["true", None])  # CI, or only an output that is no terminal
def test_build_in_ci_prints_one_line_per_step_with_seconds(
    default_cfg, tmp_path, capsys, monkeypatch, ci
):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    args = ["build", "--model", str(default_cfg), "--out", str(tmp_path), "--to-step", "verify"]
    assert main(args) == 0
    out = capsys.readouterr().out
    steps = [m.group(1) for line in out.splitlines() if (m := STEP_LINE.match(line))]
    assert steps == step_names()[: step_names().index("verify") + 1]
    assert "\x1b" not in out and out.splitlines()[-1].startswith("build written to ")


def test_a_loop_that_raises_leaves_no_bar_after_the_build():
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with pytest.raises(KeyError), BuildView(quiet=False, console=console) as view:
        view.on_step("quantize", "running")
        images = progress.track(range(5), "calibration, images")
        for _ in images:
            raise KeyError("bad image")
    assert view.showing() == [] and not view.live
    images.close()  # the task finishes only now (its traceback kept it open): no error
