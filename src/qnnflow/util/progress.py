"""Progress of long work inside a build step (N files to compile, N layers or frames to
simulate, N images to calibrate on...), told to whoever listens. The library opens a
`task(description, total)` and calls `advance()`; it never knows about a console. The CLI
installs a renderer with `reporting(...)` (commands/progress_view.py); with none installed,
as from the Python API and in tests, nothing is shown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass
class Task:
    """One piece of long work: `done` of `total` items (total None: count unknown)."""

    description: str
    total: int | None
    done: int = 0
    began: float = field(default_factory=time.perf_counter)
    _reporter: Reporter | None = field(default=None, repr=False, compare=False)

    def advance(self, items: int = 1) -> None:
        """`items` more are done (called from any thread)."""
        with _lock:
            self.done += items
        if self._reporter is not None:
            self._reporter.advanced(self)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.began


class Reporter(Protocol):
    """What a renderer answers; `finished` comes once per task, also when its work raised."""

    def started(self, task: Task) -> None: ...

    def advanced(self, task: Task) -> None: ...

    def finished(self, task: Task, ok: bool) -> None: ...


_lock = threading.Lock()
_reporter: Reporter | None = None  # module-wide, not a ContextVar: worker threads report too


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Send every task opened inside this block to `reporter` (None: silence)."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        _reporter = previous


@contextmanager
def task(description: str, total: int | None = None) -> Iterator[Task]:
    """A unit of long work; the renderer sees it start, advance and finish (ok or not)."""
    reporter = _reporter
    work = Task(description, None if total is None else int(total), _reporter=reporter)
    if reporter is not None:
        reporter.started(work)
    ok = False
    try:
        yield work
        ok = True
    finally:
        if reporter is not None:
            reporter.finished(work, ok)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield `items`, advancing a task by one after each (total: len(items) when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with task(description, total) as work:
        for item in items:
            yield item
            work.advance()
