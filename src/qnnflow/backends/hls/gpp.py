"""Compile generated C++ with g++ alone (no vendor tools) and run it; binaries are cached by
the hash of every source and flag, so re-running a simulation does not recompile."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from qnnflow.backends.hls.paths import ap_types_include_dir, hls_library_dir
from qnnflow.errors import QnnflowError

# -Wno-unknown-pragmas: g++ does not know `#pragma HLS` (compat.hpp silences the ap_types
# headers' own false warnings; everything else must be clean).
CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Werror", "-Wno-unknown-pragmas")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "qnnflow-cpp-cache"


class CompileError(QnnflowError):
    """g++ rejected generated code: names the main file and shows the first errors."""


def require_gpp() -> str:
    gpp = shutil.which("g++")
    if gpp is None:
        raise QnnflowError("the C++ simulation needs g++ on PATH (apt-get install g++)")
    return gpp


def _library_digest() -> str:
    digest = hashlib.sha256()
    for header in sorted((hls_library_dir() / "qnnflow").rglob("*.hpp")):
        digest.update(header.name.encode())
        digest.update(header.read_bytes())
    return digest.hexdigest()


def compile_program(
    files: dict[str, str], main: str, cache_dir: Path | None = None, flags: tuple = ()
) -> Path:
    """Write `files` (name -> text) into a cached folder and compile `main` among them.

    Returns the executable; the same sources, library and flags reuse the earlier binary."""
    digest = hashlib.sha256(_library_digest().encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    all_flags = (*CXXFLAGS, *flags)
    digest.update(" ".join(all_flags).encode() + main.encode())
    folder = (cache_dir or DEFAULT_CACHE) / digest.hexdigest()[:24]
    exe = folder / "sim"
    if exe.is_file():
        return exe
    folder.mkdir(parents=True, exist_ok=True)
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
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        errors = [ln for ln in result.stderr.splitlines() if "error" in ln][:5]
        raise CompileError(
            f"g++ failed on {folder / main}:\n"
            + "\n".join(errors or result.stderr.splitlines()[:5])
        )
    partial.replace(exe)
    return exe


def run_program(exe: Path, args: list[str], cwd: Path) -> str:
    """Run a compiled simulation; a non-zero exit becomes a QnnflowError with its stderr."""
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd)
    if result.returncode:
        raise QnnflowError(
            f"C++ simulation {exe} exited with {result.returncode}: {result.stderr.strip()}"
        )
    return result.stdout


def compile_shared_library(
    source: Path,
    key: str = "",
    cache_dir: Path | None = None,
    flags: tuple = (),
    timeout_s: float = 600.0,
) -> Path:
    """Compile one C++ file into a cached shared library for ctypes (e.g. the stb_image shim).

    `key` joins the source and flags in the cache hash (say, a digest of a system header)."""
    text = Path(source).read_text()
    all_flags = ("-std=c++17", "-O2", "-shared", "-fPIC", *flags)
    digest = hashlib.sha256(f"{text}\0{' '.join(all_flags)}\0{key}".encode()).hexdigest()
    folder = (cache_dir or DEFAULT_CACHE) / f"lib-{digest[:24]}"
    library = folder / f"{Path(source).stem}.so"
    if library.is_file():
        return library
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{library.name}.{os.getpid()}.partial"
    cmd = [require_gpp(), *all_flags, str(source), "-o", str(partial)]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise CompileError(f"g++ timed out after {timeout_s:g} s compiling {source}") from None
    if result.returncode:
        partial.unlink(missing_ok=True)
        errors = [ln for ln in result.stderr.splitlines() if "error" in ln][:3]
        raise CompileError(f"g++ failed on {source}: " + " | ".join(errors or ["no message"]))
    partial.replace(library)
    return library
