"""The README tells the truth about the CLI and the tree: every command line in its `sh`
blocks names a qnnflow subcommand, option, make target or driver option that exists, and
every repository path it cites exists (../shared paths only where that folder is present)."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from qnnflow.cli import cli
from qnnflow.driver.run_on_board import parser as run_on_board_parser
from qnnflow.flow.steps import step_names
from tests.conftest import REPO_ROOT, SHARED

README = REPO_ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
OPTION = re.compile(r"(?<![\w/.<-])(--?[A-Za-z][\w-]*)")
# a path into the repository (or ../shared), as the README cites them
PATH = re.compile(
    r"(?<![\w./-])((?:\.\./shared|src|tests|flows|data|hls|rtl|boards|notebooks|benchmarks|docs|tools)"
    r"/[\w./-]*[\w/])"
)


def _text() -> str:
    return README.read_text()


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(_text()) if kind == lang]


def command_lines() -> list[str]:
    """Each shell command of the `sh` blocks, comments removed, `a && b` split."""
    commands = []
    for body in _blocks("sh"):
        for line in body.splitlines():
            line = re.split(r"\s#\s", line)[0].strip()
            commands += [part.strip() for part in line.split("&&") if part.strip()]
    return commands


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="qnnflow")
    assert result.exit_code == 0, (args, result.output)
    return result.output


def _has_option(help_text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text) is not None


def _check_qnnflow(command: str) -> list[str]:
    words = command.split()[1:]
    problems = []
    while words and words[0].startswith("-"):  # global options before the subcommand
        if not _has_option(_help([]), words[0]):
            problems.append(f"qnnflow has no option {words[0]}")
        words.pop(0)
    if not words or words[0] == "...":
        return problems
    sub = words[0]
    if sub not in cli.commands:
        return [*problems, f"no subcommand 'qnnflow {sub}'"]
    text = _help([sub])
    for option in OPTION.findall(" ".join(words[1:])):
        if not _has_option(text, option):
            problems.append(f"'qnnflow {sub}' has no option {option}")
    return problems


def _makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):", text, re.M))


def _check(command: str) -> list[str]:
    words = shlex.split(command.replace("[", " ").replace("]", " ").replace("|", " "))
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value prefixes
        words.pop(0)
    if not words:
        return []
    if words[0] == "qnnflow":
        return _check_qnnflow(command[command.index("qnnflow") :])
    if words[0] == "make":
        targets = [w for w in words[1:] if "=" not in w and not w.startswith("-")]
        return [f"no make target '{t}'" for t in targets if t not in _makefile_targets()]
    if words[:3] == ["python", "-m", "qnnflow.driver.run_on_board"]:
        text = run_on_board_parser().format_help()
        options = OPTION.findall(command.split("run_on_board", 1)[1])
        return [f"run_on_board has no option {o}" for o in options if not _has_option(text, o)]
    return []


def test_readme_has_the_commands_this_test_checks():
    commands = command_lines()
    assert sum(c.startswith("qnnflow ") for c in commands) >= 10
    assert any("run_on_board" in c for c in commands)
    assert any(c.startswith("make ") for c in commands)


def test_every_readme_command_exists_in_the_cli():
    problems = [f"{c!r}: {p}" for c in command_lines() for p in _check(c)]
    assert problems == []


def test_the_checks_catch_drift():
    """The checker itself fails on an unknown subcommand, option, make target."""
    assert _check("qnnflow build --calib-dir X --no-such-flag")
    assert _check("qnnflow frobnicate x")
    assert _check("make deploy")
    assert _check("PYTHONPATH=runtime python -m qnnflow.driver.run_on_board . --bogus")
    assert not _check("qnnflow build --board pynq_z2 [--to-step S]")


def cited_paths() -> set[str]:
    return {match.rstrip(".") for match in PATH.findall(_text())}


def test_every_cited_path_exists():
    paths = cited_paths()
    assert len(paths) >= 10
    missing = []
    for path in sorted(paths):
        if path.startswith("../shared") and not SHARED.is_dir():
            continue
        if not (REPO_ROOT / path).exists():
            missing.append(path)
    assert missing == []


def test_layout_block_names_existing_folders():
    """The architecture's tree: every `name/` or `name.py` under src/qnnflow/ and every
    top-level folder it lists exists."""
    (layout,) = [b for b in _blocks("") if b.startswith("src/qnnflow/")]
    missing = []
    for line in layout.splitlines():
        indent = len(line) - len(line.lstrip())
        head = line.split("  ")[0].strip() if indent == 0 else line.strip().split("  ")[0]
        if not head or (indent > 2):
            continue
        base = REPO_ROOT if indent == 0 else REPO_ROOT / "src" / "qnnflow"
        for name in (n.strip() for n in head.split(",")):
            if name and not (base / name).exists():
                missing.append(name)
    assert missing == []


def test_step_table_and_step_files_follow_the_step_list():
    """The flow table lists every step with its number, and `NN_step.onnx` names match."""
    rows = re.findall(r"^\| (\d\d) \| `(\w+)` \|", _text(), re.M)
    assert rows == [(f"{i:02d}", name) for i, name in enumerate(step_names(), start=1)]
    numbers = {name: f"{i:02d}" for i, name in enumerate(step_names(), start=1)}
    cited = re.findall(r"(\d\d)_(\w+)\.onnx", _text())
    assert cited and all(numbers.get(name) == nn for nn, name in cited), cited
    assert "qnnflow/build/" not in _text()  # the package is qnnflow.flow now
