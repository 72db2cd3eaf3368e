"""Compile one of our small C++ shims (stb_image bridge, fused letterbox) into a shared
library for ctypes, on the host and on the board alike.

On the host the build's g++ cache compiles it (qnnflow.backends.hls.gpp: private, pruned);
on the board (the package's runtime copy has no qnnflow.backends) g++ is run here, once,
into a folder beside the sources. Any failure is one `ShimUnavailable` line, so callers
fall back cleanly. Standard library only: this runs on the board.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)

COMPILE_TIMEOUT_S = 600.0
BUILD_FOLDER = "_shims"  # beside the sources, git-ignored


class ShimUnavailable(QnnflowError):
    """A C++ shim could not be compiled here (no g++, compile error, timeout)."""


def _build_folder(source: Path) -> Path:
    """Beside the source (the package's runtime copy) when writable, else a private temp dir."""
    folder = source.parent / BUILD_FOLDER
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        pass
    if folder.is_dir() and os.access(folder, os.W_OK):
        return folder
    return Path(tempfile.mkdtemp(prefix="qnnflow-shim-"))


def _compile_here(source: Path, key: str, flags: tuple[str, ...]) -> Path:
    """Board side (no qnnflow.backends): compile with g++ (with a timeout), cached by `key`."""
    gpp = shutil.which("g++")
    if gpp is None:
        raise ShimUnavailable(f"no g++ to compile {source.name}")
    name = f"{source.stem}.{key[:16]}.so"
    cached = source.parent / BUILD_FOLDER / name
    if cached.is_file():
        return cached
    library = _build_folder(source) / name
    partial = library.with_name(f"{name}.{os.getpid()}.partial")
    command = [gpp, "-O2", *flags, "-shared", "-fPIC", str(source), "-o", str(partial)]
    log.info("compiling %s (once)", source.name)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise ShimUnavailable(f"g++ timed out compiling {source}") from None
    if result.returncode:
        partial.unlink(missing_ok=True)
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise ShimUnavailable(f"g++ failed on {source}: {first}")
    partial.replace(library)
    return library


def compile_shim(source: Path, extra_key: bytes = b"", flags: tuple[str, ...] = ()) -> Path:
    """`source` as a shared library (`extra_key`, e.g. a system header's bytes, and `flags`
    join the cache key): through the build's g++ cache when qnnflow's backends are installed
    (the host), else compiled here (the board's runtime copy)."""
    source = Path(source)
    key = hashlib.sha256(source.read_bytes() + extra_key + " ".join(flags).encode()).hexdigest()
    try:
        from qnnflow.backends.hls.gpp import compile_shared_library
    except ImportError:
        return _compile_here(source, key, flags)
    try:
        return compile_shared_library(source, key=key, flags=flags, timeout_s=COMPILE_TIMEOUT_S)
    except QnnflowError as exc:
        raise ShimUnavailable(str(exc)) from None


def load_library(path: Path | str) -> ctypes.CDLL:
    """`ctypes.CDLL(path)` without letting the library change this process's floating-point
    mode: a library built with -ffast-math (Debian's libdarknet.so is) switches on
    flush-to-zero and denormals-are-zero when it loads, after which numpy compares and rounds
    subnormal float32 values differently (threshold searches, the equivalence checks). The
    environment is saved before the load and restored after it (C99 fegetenv/fesetenv)."""
    libm_name = ctypes.util.find_library("m")
    libm = ctypes.CDLL(libm_name) if libm_name else None
    saved = ctypes.create_string_buffer(256)  # larger than any platform's fenv_t
    kept = libm is not None and libm.fegetenv(saved) == 0
    try:
        return ctypes.CDLL(str(path))
    finally:
        if kept:
            libm.fesetenv(saved)
