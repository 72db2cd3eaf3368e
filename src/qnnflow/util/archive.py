"""Reproducible zip archives: entries sorted, one fixed timestamp and fixed permissions, so
the same folder always gives the same bytes (shutil.make_archive keeps file times and the
file system's listing order)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from qnnflow.util.atomic import atomic_write_bytes

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
LOCAL_ONLY = ("__pycache__",)  # made by running the folder here, not part of what ships


def _ships(relative: Path) -> bool:
    """Hidden entries (a local `.sim-build/` compile cache) and bytecode stay out of the zip."""
    return not any(part.startswith(".") or part in LOCAL_ONLY for part in relative.parts)


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so external_attr holds the permission bits
    info.external_attr = mode << 16
    return info


def zip_bytes(folder: Path) -> bytes:
    """The contents of `folder` as a zip (paths relative to it, '/'-separated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
            if not _ships(path.relative_to(folder)):
                continue
            name = path.relative_to(folder).as_posix()
            if path.is_dir():
                archive.writestr(_entry(name + "/", stat.S_IFDIR | 0o755), b"")
            elif path.is_file():
                executable = path.stat().st_mode & stat.S_IXUSR
                mode = stat.S_IFREG | (0o755 if executable else 0o644)
                archive.writestr(_entry(name, mode), path.read_bytes(), compresslevel=6)
    return buffer.getvalue()


def write_zip(folder: Path, target: Path) -> Path:
    """Zip `folder` into `target`, replaced atomically."""
    atomic_write_bytes(target, zip_bytes(folder))
    return target
