"""How the CLI shows a build: one line per step with its seconds and, on a terminal, a rich
progress bar (count, elapsed, ETA) for each long task the library opens (util.progress).
Quiet in CI (CI=true) or when stdout is not a terminal: the step lines only, no bars, no
spinners, no ANSI."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TextIO

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Task as ProgressTask
from rich.text import Text

from qnnflow.toolchain import in_ci
from qnnflow.util import progress

MARKS = {"done": ("✓", "green"), "skipped": ("✓", "green"), "waiting": ("…", "yellow")}


def is_quiet(stream: TextIO | None = None) -> bool:
    """CI, or output that is not a terminal (a log file, a pipe, a captured test)."""
    stream = stream or sys.stdout
    return in_ci() or not (hasattr(stream, "isatty") and stream.isatty())


def step_line(name: str, state: str, seconds: float | None) -> Text:
    """`✓ fold (done) 6.12 s`; a skipped step has no time ("waiting": needs a vendor tool)."""
    mark, colour = MARKS.get(state, ("✗", "red"))
    what = "needs a vendor tool" if state == "waiting" else state
    took = f" {seconds:.2f} s" if seconds is not None and state != "skipped" else ""
    line = Text(f"{mark} ", style=colour)
    return line.append(f"{name} ({what}){took}")


class _Counted(ProgressColumn):
    """`column` for a task with a known count; blank for a step or a single compile."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: ProgressTask) -> RenderableType:
        return self.column(task) if task.total is not None else Text("")


class BuildView:
    """Step lines (always) and progress bars (live mode); a context manager that, in live
    mode, installs itself as the library's progress reporter while the build runs."""

    def __init__(self, quiet: bool, console: Console | None = None) -> None:
        self.quiet = quiet
        if console is not None:
            self.console = console
        elif quiet:  # plain text whatever the stream is: no colour, no cursor moves
            self.console = Console(
                soft_wrap=True, color_system=None, highlight=False, force_terminal=False
            )
        else:
            self.console = Console(soft_wrap=True)
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            _Counted(MofNCompleteColumn()),
            TimeElapsedColumn(),
            _Counted(TextColumn("eta")),
            _Counted(TimeRemainingColumn()),
            console=self.console,
            transient=True,
        )
        self._ids: dict[int, TaskID] = {}
        self._step: tuple[str, float, TaskID | None] | None = None
        self._reporting = progress.reporting(None if quiet else self)

    def __enter__(self) -> BuildView:
        if not self.quiet:
            self._bars.start()
        self._reporting.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._reporting.__exit__(kind, exc, tb)
        # a task whose work raised may finish later (a generator freed with its traceback)
        self._ids.clear()
        for task_id in list(self._bars.task_ids):
            self._bars.remove_task(task_id)
        if not self.quiet:
            self._bars.stop()

    def on_step(self, name: str, state: str) -> None:
        """The runner's callback: 'running', then 'done' or 'waiting'; or 'skipped'."""
        if state == "running":
            bar = None if self.quiet else self._bars.add_task(f"step {name}", total=None)
            self._step = (name, time.perf_counter(), bar)
            return
        seconds = None
        if self._step is not None and self._step[0] == name:
            _, began, bar = self._step
            seconds, self._step = time.perf_counter() - began, None
            if bar is not None:
                self._bars.remove_task(bar)
        self.console.print(step_line(name, state, seconds))

    def showing(self) -> list[tuple[str, int, int | None]]:
        """The rows on screen now (the running step and its open tasks): (what, done, of)."""
        rows = []
        for row in self._bars.tasks:
            total = None if row.total is None else int(row.total)
            rows.append((row.description.strip(), int(row.completed), total))
        return rows

    @property
    def live(self) -> bool:
        """Whether the bars are being drawn (between enter and exit, on a terminal)."""
        return self._bars.live.is_started

    def note(self, text: str, style: str) -> None:
        """A line under the step (the accuracy gate, host nodes, the end-to-end rate)."""
        self.console.print(Text(f"  {text}", style=style))

    # util.progress.Reporter
    def started(self, task: progress.Task) -> None:
        self._ids[id(task)] = self._bars.add_task(f"  {task.description}", total=task.total)

    def advanced(self, task: progress.Task) -> None:
        if id(task) in self._ids:
            self._bars.update(self._ids[id(task)], completed=task.done)

    def finished(self, task: progress.Task, ok: bool) -> None:
        task_id = self._ids.pop(id(task), None)
        if task_id is not None:
            self._bars.remove_task(task_id)


@contextmanager
def progress_bars() -> Iterator[None]:
    """For a command without steps (train, quantize): the library's tasks as bars on a
    terminal; nothing in CI or off a terminal."""
    with BuildView(is_quiet()):
        yield
