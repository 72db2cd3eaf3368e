"""Atomic file and folder writes: outputs are complete or absent, never half-written. The
leftovers of a killed writer have names `leftovers` recognises, so the next build removes
them."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")
STAGING = ".staging-"  # `.<folder>.staging-XXXXXXXX/`: a folder being written
RETIRED = ".old-"  # `.<folder>.old-XXXXXXXX/`: the folder it replaces, until removed
# `.<file>.XXXXXXXX.tmp`: a file being written (tempfile.mkstemp's random part)
_TEMP_FILE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
_TEMP_DIR = re.compile(rf"\..+({re.escape(STAGING)}|{re.escape(RETIRED)})[a-z0-9_]{{8}}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save_npy(path: str | Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    atomic_write_bytes(path, buffer.getvalue())


def write_tree(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` ({relative path: text or bytes}) under `folder`."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def replace_dir(target: str | Path, write: Callable[[Path], T]) -> T:
    """`write(staging)` fills a staging folder beside `target`, which then takes its place:
    `target` is the old folder or the complete new one, never a mix. Returns what `write`
    returns."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING}", dir=target.parent))
    try:
        result = write(staging)
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}{RETIRED}", dir=target.parent))
            retired.rmdir()
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def leftovers(folder: Path) -> list[Path]:
    """Staging folders and temporary files in `folder` that a killed writer left behind."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() and not path.is_symlink() and _TEMP_DIR.fullmatch(path.name):
            found.append(path)
        elif path.is_file() and _TEMP_FILE.fullmatch(path.name):
            found.append(path)
    return found
