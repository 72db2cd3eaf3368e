"""Compile generated C++ with g++ alone (no vendor tools) and run it; binaries are cached by
the hash of every source and flag, so re-running a simulation does not recompile. g++, its
cache folder and the timeouts come from qnnflow.toolchain; cpp_cache keeps the cache private
and bounded."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from qnnflow import toolchain
from qnnflow.backends.hls import cpp_cache
from qnnflow.backends.hls.paths import ap_types_include_dir, hls_library_dir
from qnnflow.backends.hls.sim_process import failure_message
from qnnflow.errors import QnnflowError
from qnnflow.util import progress

# -Wno-unknown-pragmas: g++ does not know `#pragma HLS` (compat.hpp silences the ap_types
# headers' own false warnings; everything else must be clean).
CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Werror", "-Wno-unknown-pragmas")


class CompileError(QnnflowError):
    """g++ rejected generated code: names the main file and shows the first errors."""


def require_gpp() -> str:
    """The g++ executable (found by qnnflow.toolchain)."""
    return str(toolchain.require_gpp())


def default_cache_dir() -> Path:
    """The per-user cache folder (see qnnflow.toolchain.cpp_cache_dir)."""
    return toolchain.cpp_cache_dir()


def _library_digest() -> str:
    digest = hashlib.sha256()
    for header in sorted((hls_library_dir() / "qnnflow").rglob("*.hpp")):
        digest.update(header.name.encode())
        digest.update(header.read_bytes())
    return digest.hexdigest()


def compile_program(
    files: dict[str, str],
    main: str,
    cache_dir: Path | None = None,
    flags: tuple = (),
    timeout_s: float | None = None,
) -> Path:
    """Write `files` (name -> text) into a cached folder and compile `main` among them.

    Returns the executable; the same sources, library and flags reuse the earlier binary
    (after checking that it and its folders are yours and private)."""
    digest = hashlib.sha256(_library_digest().encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    all_flags = (*CXXFLAGS, *flags)
    digest.update(" ".join(all_flags).encode() + main.encode())
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cpp_cache.entry_folder(root, digest.hexdigest()[:24])
    exe = folder / "sim"
    if exe.is_file():
        cpp_cache.check_runnable(exe)
        cpp_cache.mark_used(folder)
        return exe
    for name, text in files.items():
        (folder / name).write_text(text)
    partial = folder / f"sim.{os.getpid()}.partial"
    cmd = [
        require_gpp(),
        *all_flags,
        f"-I{folder}",
        f"-I{hls_library_dir()}",
        "-isystem",
        str(ap_types_include_dir()),
        str(folder / main),
        "-o",
        str(partial),
    ]
    return _compile_into_cache(cmd, folder / main, partial, exe, root, timeout_s)


def _compile_into_cache(
    cmd: list[str], source: Path, partial: Path, target: Path, root: Path, timeout: float | None
) -> Path:
    """Run g++ `cmd` (which writes `partial`), then move the result to `target` and prune the
    cache; a failed, killed or timed-out compile leaves no file behind."""
    try:
        with progress.task(f"g++ {source.name}"):
            result = toolchain.run_with_timeout(
                cmd, "g++", f"compiling {source}", timeout, capture_output=True, text=True
            )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if result.returncode:
        partial.unlink(missing_ok=True)
        errors = [ln for ln in result.stderr.splitlines() if "error" in ln][:5]
        raise CompileError(
            f"g++ failed on {source}:\n" + "\n".join(errors or result.stderr.splitlines()[:5])
        )
    partial.replace(target)
    cpp_cache.prune(root, toolchain.cpp_cache_cap_bytes(), keep=target.parent)
    return target


def run_program(exe: Path, args: list[str], cwd: Path, timeout_s: float | None = None) -> str:
    """Run a compiled simulation (its timeout from qnnflow.toolchain unless given); a
    non-zero exit becomes a QnnflowError with its stderr."""
    cpp_cache.check_runnable(exe)
    try:
        result = toolchain.run_with_timeout(
            [str(exe), *args],
            "simulation",
            f"running {exe}",
            timeout_s,
            capture_output=True,
            text=True,
            cwd=cwd,
        )
    except FileNotFoundError:
        raise QnnflowError(f"C++ simulation {exe} vanished (pruned from the cache?)") from None
    if result.returncode:
        raise QnnflowError(failure_message(exe, result.returncode, result.stderr))
    return result.stdout


def compile_shared_library(
    source: Path,
    key: str = "",
    cache_dir: Path | None = None,
    flags: tuple = (),
    timeout_s: float | None = None,
) -> Path:
    """Compile one C++ file into a cached shared library for ctypes (e.g. the stb_image shim),
    in the same private, pruned cache as the simulations.

    `key` joins the source and flags in the cache hash (say, a digest of a system header)."""
    text = Path(source).read_text()
    all_flags = ("-std=c++17", "-O2", "-shared", "-fPIC", *flags)
    digest = hashlib.sha256(f"{text}\0{' '.join(all_flags)}\0{key}".encode()).hexdigest()
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cpp_cache.entry_folder(root, f"lib-{digest[:24]}")
    library = folder / f"{Path(source).stem}.so"
    if library.is_file():
        cpp_cache.check_runnable(library)
        cpp_cache.mark_used(folder)
        return library
    partial = folder / f"{library.name}.{os.getpid()}.partial"
    cmd = [require_gpp(), *all_flags, str(source), "-o", str(partial)]
    return _compile_into_cache(cmd, Path(source), partial, library, root, timeout_s)
