"""The vendor tools (Vitis HLS, Vivado): found from an argument, QNNFLOW_VITIS_HLS /
QNNFLOW_VIVADO (the executable, its bin/ folder or the install folder) or PATH, and run in batch
mode under their timeout. When one is missing the build stops with ToolNotFound: one line naming
the tool, the generated script, the exact command to run on a machine that has it, and how to
resume; results copied back from that machine are then picked up (`outputs`)."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.toolchain.environment import ToolTimeout, environ_or_process, run_with_timeout

log = logging.getLogger(__name__)

TARGET_VERSION = "2023.2"  # the scripts use this release's commands (valid through 2024.1)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    product: str
    env_var: str
    batch_args: tuple[str, ...]  # placed before the script path


TOOLS = {
    "vitis_hls": ToolSpec("vitis_hls", "Vitis HLS", "QNNFLOW_VITIS_HLS", ("-f",)),
    "vivado": ToolSpec(
        "vivado", "Vivado", "QNNFLOW_VIVADO", ("-mode", "batch", "-nojournal", "-nolog", "-source")
    ),
}


class ToolNotFound(QnnflowError):
    """A vendor tool is not installed here; the message says what to run elsewhere."""

    def __init__(self, message: str, tool: str, command: str | None = None):
        super().__init__(message)
        self.tool = tool
        self.command = command


class ToolFailed(QnnflowError):
    """A vendor tool ran and failed (or left an expected output unwritten)."""


@dataclass(frozen=True)
class ToolRun:
    """What one tool invocation did; `reused` when results produced elsewhere were found."""

    tool: str
    command: tuple[str, ...]
    cwd: Path
    log: Path | None
    seconds: float
    reused: bool = False


def _spec(name: str) -> ToolSpec:
    if name not in TOOLS:
        raise QnnflowError(f"unknown tool '{name}' (known: {', '.join(TOOLS)})")
    return TOOLS[name]


def _executable_in(path: Path, name: str) -> Path | None:
    for candidate in (path, path / name, path / "bin" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_tool(
    name: str, override: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The tool's executable, or None when it is not installed. A given override that does
    not lead to an executable is an error, not a silent fallback to PATH."""
    spec = _spec(name)
    env = environ_or_process(environ)
    source, value = "argument", override
    if value is None and env.get(spec.env_var):
        source, value = spec.env_var, env[spec.env_var]
    if value is not None:
        found = _executable_in(Path(value).expanduser(), name)
        if found is None:
            raise ToolNotFound(
                f"{spec.name} override ({source}) {value} is not the executable, "
                f"its bin/ folder or its install folder",
                tool=name,
            )
        return found.resolve()
    on_path = shutil.which(name, path=env.get("PATH"))
    return Path(on_path) if on_path else None


def tool_command(name: str, script: str | Path, executable: str | Path | None = None) -> list[str]:
    """The batch command line that runs `script` (give it relative to the working folder)."""
    spec = _spec(name)
    return [str(executable or spec.name), *spec.batch_args, str(script)]


def _relative(script: Path, cwd: Path) -> Path:
    try:
        return script.resolve().relative_to(cwd.resolve())
    except ValueError:
        return script.resolve()


def missing_tool_error(name: str, script: Path, cwd: Path, resume: str | None) -> ToolNotFound:
    spec = _spec(name)
    command = shlex.join(tool_command(name, _relative(script, cwd)))
    where = f"cd {shlex.quote(str(cwd.resolve()))} && {command}"
    then = f", copy {cwd.name}/ back here, then resume with `{resume}`" if resume else ""
    return ToolNotFound(
        f"{spec.name} not found (not on PATH, {spec.env_var} unset): generated "
        f"{_relative(script, cwd)}; on a machine with {spec.product} {TARGET_VERSION} run "
        f"`{where}`{then}",
        tool=name,
        command=where,
    )


def require_tool(
    name: str,
    script: str | Path | None = None,
    cwd: str | Path | None = None,
    resume: str | None = None,
    override: str | Path | None = None,
) -> Path:
    """The tool's executable, or ToolNotFound whose message says how to run `script` elsewhere."""
    found = find_tool(name, override)
    if found is not None:
        return found
    if script is None:
        spec = _spec(name)
        raise ToolNotFound(
            f"{spec.name} not found (not on PATH, {spec.env_var} unset); "
            f"install {spec.product} {TARGET_VERSION} or set {spec.env_var}",
            tool=name,
        )
    cwd = Path(cwd) if cwd is not None else Path(script).parent
    raise missing_tool_error(name, Path(script), cwd, resume)


def _outputs_fresh(outputs: Sequence[Path], script: Path) -> bool:
    if not outputs or not all(p.exists() for p in outputs):
        return False
    return min(p.stat().st_mtime for p in outputs) >= script.stat().st_mtime


def _first_error(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    errors = [line.strip() for line in lines if line.lstrip().startswith("ERROR")]
    tail = [line.strip() for line in lines if line.strip()]
    return (errors or tail[-1:] or ["empty log"])[0][:300]


def run_tcl(
    name: str,
    script: str | Path,
    cwd: str | Path,
    *,
    log_path: str | Path | None = None,
    outputs: Sequence[str | Path] = (),
    resume: str | None = None,
    override: str | Path | None = None,
    timeout_s: float | None = None,
) -> ToolRun:
    """Run a Tcl script with the tool in `cwd`, stdout and stderr into `log_path`
    (default `<cwd>/<script stem>.log`). `outputs` (relative to `cwd`) must exist afterwards;
    when the tool is missing but they exist and are newer than the script, they were
    produced elsewhere and are reused."""
    cwd = Path(cwd)
    script = Path(script) if Path(script).is_absolute() else cwd / script
    if not script.is_file():
        raise QnnflowError(f"{name} script not found: {script}")
    expected = [cwd / p for p in outputs]
    found = find_tool(name, override)
    if found is None:
        if _outputs_fresh(expected, script):
            log.info("%s not installed; using %s produced elsewhere", name, expected[0])
            return ToolRun(name, (), cwd, None, 0.0, reused=True)
        raise missing_tool_error(name, script, cwd, resume)
    log_file = Path(log_path) if log_path is not None else cwd / f"{script.stem}.log"
    command = tuple(tool_command(name, _relative(script, cwd), found))
    log.info("running %s in %s (log %s)", shlex.join(command), cwd, log_file)
    began = time.perf_counter()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        try:
            result = run_with_timeout(
                command,
                name,
                f"running {script}",
                timeout_s,
                cwd=cwd,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        except ToolTimeout as exc:
            raise ToolFailed(f"{exc}; log: {log_file}") from None
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise ToolFailed(
            f"{name} failed (exit {result.returncode}) running {script}: "
            f"{_first_error(log_file)}; log: {log_file}"
        )
    missing = [str(p) for p in expected if not p.exists()]
    if missing:
        raise ToolFailed(f"{name} finished but did not write {', '.join(missing)}; log: {log_file}")
    return ToolRun(name, command, cwd, log_file, seconds)


def resume_command(board: str, model: str | Path, out: str | Path | None, step: str) -> str:
    """The `qnnflow build` line that resumes a build at `step` (for ToolNotFound messages)."""
    parts = ["qnnflow", "build", "--board", board, "--model", str(model)]
    if out is not None:
        parts += ["--out", str(out)]
    return shlex.join([*parts, "--from-step", step])
