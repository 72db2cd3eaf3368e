"""The g++ binary cache: a private folder (yours, mode 0700) whose entries are checked before
anything in them runs, and pruned by size, least recently used first. Where it lives and its
size cap come from qnnflow.toolchain (the one environment reader)."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

from qnnflow.errors import QnnflowError

log = logging.getLogger(__name__)

PRIVATE_MODE = 0o700
PARTIAL_GLOB = "sim.*.partial"  # compiler output before it is renamed into place


class UnsafeCacheError(QnnflowError):
    """A cache folder or binary another user could have written: nothing in it is run."""


def _check_owned_private(path: Path, what: str, forbidden: int) -> None:
    try:
        info = path.lstat()
    except OSError as exc:
        raise UnsafeCacheError(f"g++ cache: cannot inspect {what} {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeCacheError(f"g++ cache: {what} {path} is a symbolic link; refusing to use it")
    if info.st_uid != os.getuid():
        raise UnsafeCacheError(
            f"g++ cache: {what} {path} is owned by uid {info.st_uid}, not you "
            f"(uid {os.getuid()}); remove it or set QNNFLOW_CPP_CACHE to a folder of yours"
        )
    if stat.S_IMODE(info.st_mode) & forbidden:
        raise UnsafeCacheError(
            f"g++ cache: {what} {path} has mode {stat.S_IMODE(info.st_mode):04o}, writable or "
            f"readable by others; expected at most {PRIVATE_MODE:04o} (chmod 700 it if you "
            f"trust its contents, or remove it)"
        )


def private_root(root: Path) -> Path:
    """Create the cache root (mode 0700) if needed and check it is yours and private."""
    root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_MODE)
    _check_owned_private(root, "folder", 0o077)
    return root


def entry_folder(root: Path, key: str) -> Path:
    """The (checked) folder of one cached program."""
    folder = private_root(root) / key
    folder.mkdir(exist_ok=True, mode=PRIVATE_MODE)
    _check_owned_private(folder, "folder", 0o077)
    return folder


def check_runnable(exe: Path) -> None:
    """Refuse to execute a cached binary unless it and its folders are yours and private."""
    _check_owned_private(exe.parent.parent, "folder", 0o077)
    _check_owned_private(exe.parent, "folder", 0o077)
    _check_owned_private(exe, "binary", 0o022)


def mark_used(folder: Path) -> None:
    """Record a cache hit so pruning drops the least recently used entries first."""
    try:
        os.utime(folder)
    except OSError:
        pass


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.lstat().st_size
        except OSError:
            continue
    return total


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(folder: Path) -> None:
    """Drop compiler outputs left by a process that was killed mid-compile."""
    for partial in folder.glob(PARTIAL_GLOB):
        pid = partial.name.split(".")[1]
        if not pid.isdigit() or not _pid_alive(int(pid)):
            partial.unlink(missing_ok=True)


def prune(root: Path, cap_bytes: int, keep: Path | None = None) -> list[Path]:
    """Remove whole entries, least recently used first, until the cache holds at most
    `cap_bytes` (`keep`, the entry just built or used, always stays); returns the removed."""
    entries = []
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink():
            remove_stale_partials(folder)
            entries.append((folder.stat().st_mtime, folder, _size(folder)))
    total = sum(size for _, _, size in entries)
    removed = []
    for _, folder, size in sorted(entries, key=lambda e: (e[0], e[1].name)):
        if total <= cap_bytes:
            break
        if keep is not None and folder == keep:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        total -= size
        removed.append(folder)
    if removed:
        log.info(
            "g++ cache %s: removed %d old entries (cap %d bytes)", root, len(removed), cap_bytes
        )
    return removed
