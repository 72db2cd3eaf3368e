"""The files a step leaves in the output folder, recorded with their hashes in
build_state.json so that resume trusts a step only while everything it wrote is still there
unchanged; and the removal of what killed builds left half-written."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from pathlib import Path

from qnnflow.util.atomic import leftovers

log = logging.getLogger(__name__)

# staging names of earlier versions (hls_steps' mkdtemp `.hls.XXXXXXXX`, export's
# `deploy.partial`, package's `.deploy.partial.zip`)
_LEGACY = re.compile(r"\.hls\.[a-z0-9_]{8}|deploy\.partial|\.deploy\.partial\.zip")


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (first 16 hex digits), read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def record_outputs(output_dir: Path, patterns: tuple[str, ...]) -> dict[str, str]:
    """{path relative to `output_dir`: digest} of every file the glob `patterns` match now
    (a matched folder counts with every file under it)."""
    files: dict[str, str] = {}
    for pattern in patterns:
        for match in sorted(output_dir.glob(pattern)):
            found = sorted(match.rglob("*")) if match.is_dir() else [match]
            for path in found:
                if path.is_file():
                    files[path.relative_to(output_dir).as_posix()] = file_digest(path)
    return dict(sorted(files.items()))


def expected_outputs(state: dict, step: str, order: list[str]) -> dict[str, str] | None:
    """The files `step` wrote with the digest they should have now: a later step that
    rewrote one of them (bitstream refreshes deploy.zip) recorded the newer digest. None
    when the state has no record for `step` (a state file of an older version)."""
    recorded = state.get("outputs", {})
    if step not in recorded:
        return None
    expected = dict(recorded[step])
    for later in order[order.index(step) + 1 :]:
        for path, digest in recorded.get(later, {}).items():
            if path in expected:
                expected[path] = digest
    return expected


def stale_reason(output_dir: Path, state: dict, step: str, order: list[str]) -> str | None:
    """Why `step`'s outputs cannot be trusted (the first missing or changed file), or None."""
    expected = expected_outputs(state, step, order)
    if expected is None:
        return "its outputs were not recorded"
    for path, digest in expected.items():
        file = output_dir / path
        if not file.is_file():
            return f"{path} is missing"
        if file_digest(file) != digest:
            return f"{path} changed since the build wrote it"
    return None


def remove_leftovers(output_dir: Path) -> list[Path]:
    """Delete staging folders and temporary files that killed builds left in the output
    folder and its direct subfolders; returns what was removed."""
    if not output_dir.is_dir():
        return []
    found = leftovers(output_dir)
    found += [p for p in sorted(output_dir.iterdir()) if _LEGACY.fullmatch(p.name)]
    for folder in sorted(output_dir.iterdir()):
        if folder.is_dir() and not folder.is_symlink():
            found += leftovers(folder)
    for path in found:
        log.info("removing %s left by an interrupted build", path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return found
