"""Build SystemVerilog into a Verilator simulation and run it. Binaries live in the same
private, pruned cache as the g++ simulations (backends/hls/cpp_cache), keyed by the hash of
every source, so a layer whose parameters did not change is not rebuilt; memory init files
are read when the simulation starts, so new weights need no rebuild either."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from qnnflow import toolchain
from qnnflow.backends.hls import cpp_cache
from qnnflow.errors import QnnflowError

# verilated C++ is not ours to lint; the design's own warnings are `lint`'s job
BUILD_FLAGS = ("--cc", "--exe", "--build", "-O3", "-Wno-fatal", "-Wno-lint", "-Wno-style")
BUILD_FLAGS += ("--x-assign", "unique", "--x-initial", "unique")


class VerilatorError(QnnflowError):
    """Verilator rejected a design: names the top and shows its first errors."""


def _first_errors(text: str, count: int = 6) -> str:
    lines = [ln for ln in text.splitlines() if "%Error" in ln or "error:" in ln]
    return "\n".join((lines or text.splitlines()[-count:])[:count])


def verilator_binary() -> tuple[Path, dict[str, str]]:
    """The verilator script and the environment it needs (qnnflow.toolchain finds both)."""
    env = toolchain.verilator_environment()
    return Path(env["VERILATOR_ROOT"]) / "bin" / "verilator", env


def build(sources: dict[str, str], top: str, cpp_main: str, cache_dir: Path | None = None) -> Path:
    """Compile `sources` (file name -> SystemVerilog) with `cpp_main` as the C++ main into a
    cached executable; the same sources and flags reuse the earlier binary."""
    verilator, env = verilator_binary()
    digest = hashlib.sha256(" ".join(BUILD_FLAGS).encode() + top.encode() + cpp_main.encode())
    digest.update(str(verilator.resolve()).encode())
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    root = Path(cache_dir) if cache_dir is not None else toolchain.cpp_cache_dir()
    folder = cpp_cache.entry_folder(root, "vl-" + digest.hexdigest()[:24])
    exe = folder / "sim"
    if exe.is_file():
        cpp_cache.check_runnable(exe)
        cpp_cache.mark_used(folder)
        return exe
    with tempfile.TemporaryDirectory(prefix="qnnflow-verilator-") as tmp:
        work = Path(tmp)
        for name, text in sources.items():
            (work / name).write_text(text)
        (work / "main.cpp").write_text(cpp_main)
        jobs = str(max(1, min(4, os.cpu_count() or 1)))
        cmd = [str(verilator), *BUILD_FLAGS, "--build-jobs", jobs, "--top-module", top]
        cmd += ["-Mdir", "obj", "-o", "sim", "main.cpp", *sorted(n for n in sources)]
        result = toolchain.run_with_timeout(
            cmd,
            "verilator",
            f"building {top}",
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
        )
        if result.returncode or not (work / "obj" / "sim").is_file():
            raise VerilatorError(
                f"Verilator could not build {top}:\n{_first_errors(result.stderr + result.stdout)}"
            )
        partial = folder / f"sim.{os.getpid()}.partial"
        shutil.copy2(work / "obj" / "sim", partial)
        partial.chmod(0o700)
        partial.replace(exe)
    cpp_cache.prune(root, toolchain.cpp_cache_cap_bytes(), keep=folder)
    return exe


def run(exe: Path, args: list[str], cwd: Path, timeout_s: float | None = None) -> str:
    """Run a built simulation in `cwd` (where its .hex and .mem files are); its stdout."""
    cpp_cache.check_runnable(exe)
    result = toolchain.run_with_timeout(
        [str(exe), *args],
        "simulation",
        f"running {exe}",
        timeout_s,
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if result.returncode:
        raise QnnflowError(
            f"RTL simulation {exe} exited with {result.returncode}:\n"
            f"{_first_errors(result.stderr + result.stdout)}"
        )
    return result.stdout


def lint(sources: dict[str, str], top: str) -> list[str]:
    """`verilator --lint-only -Wall` of `sources` with `top` as the top module: the warning
    and error lines (empty when the design is clean)."""
    verilator, env = verilator_binary()
    with tempfile.TemporaryDirectory(prefix="qnnflow-lint-") as tmp:
        work = Path(tmp)
        for name, text in sources.items():
            (work / name).write_text(text)
        cmd = [str(verilator), "--lint-only", "-Wall", "--top-module", top, *sorted(sources)]
        result = toolchain.run_with_timeout(
            cmd, "verilator", f"linting {top}", capture_output=True, text=True, cwd=work, env=env
        )
    return [ln for ln in result.stderr.splitlines() if ln.startswith("%")]
