"""Where a build step's time goes, transform by transform: verified transforms `record`
the seconds of the rewrite and of its before/after check; the build runner `collecting()`
them per step writes profile.json (flow/profile_file.py). Nobody collecting: a no-op."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TransformTime:
    transform: str  # the Transformation's class name
    transform_s: float  # model.transform(...)
    check_s: float  # executing the model before and after, and comparing


_rows: list[TransformTime] | None = None


@contextmanager
def collecting() -> Iterator[list[TransformTime]]:
    """Collect the transforms recorded inside this block, in the order they ran."""
    global _rows
    previous, _rows = _rows, []
    try:
        yield _rows
    finally:
        _rows = previous


def record(transform: str, transform_s: float, check_s: float) -> None:
    """One verified transform's time (kept only while someone is collecting)."""
    if _rows is not None:
        _rows.append(TransformTime(transform, round(transform_s, 4), round(check_s, 4)))


def as_rows(times: list[TransformTime]) -> list[dict]:
    return [asdict(t) for t in times]
