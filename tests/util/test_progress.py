"""The progress API: tasks count what was done, every task finishes once (also when its work
raises), and with no renderer installed nothing is shown."""

from __future__ import annotations

import threading

import pytest

from qnnflow.util import progress


class Recorder:
    """A renderer that writes down what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def started(self, task: progress.Task) -> None:
        self.events.append(("started", task.description, task.total))

    def advanced(self, task: progress.Task) -> None:
        self.events.append(("advanced", task.done))

    def finished(self, task: progress.Task, ok: bool) -> None:
        self.events.append(("finished", task.done, ok))


def test_a_task_reports_its_count_and_finishes_once():
    seen = Recorder()
    with progress.reporting(seen), progress.task("g++, files", 3) as work:
        work.advance()
        work.advance(2)
    assert seen.events == [
        ("started", "g++, files", 3),
        ("advanced", 1),
        ("advanced", 3),
        ("finished", 3, True),
    ]


def test_track_counts_an_iterable_and_takes_its_length():
    seen = Recorder()
    with progress.reporting(seen):
        items = list(progress.track(["a", "b"], "images"))
        unsized = list(progress.track(iter(range(3)), "frames"))
    assert items == ["a", "b"] and unsized == [0, 1, 2]
    assert seen.events[0] == ("started", "images", 2)
    assert ("started", "frames", None) in seen.events
    assert [e for e in seen.events if e[0] == "finished"] == [
        ("finished", 2, True),
        ("finished", 3, True),
    ]


def test_a_failing_task_finishes_as_failed_and_the_error_goes_on():
    seen = Recorder()
    with progress.reporting(seen), pytest.raises(ValueError, match="broken"):
        with progress.task("simulation", 4) as work:
            work.advance()
            raise ValueError("broken")
    assert seen.events[-1] == ("finished", 1, False)


def test_without_a_renderer_tasks_are_silent(capsys):
    with progress.task("calibration", 2) as work:
        work.advance(2)
    assert work.done == 2 and work.seconds >= 0
    assert list(progress.track(range(2), "epochs")) == [0, 1]
    assert capsys.readouterr() == ("", "")


def test_reporting_restores_the_previous_renderer():
    outer, inner = Recorder(), Recorder()
    with progress.reporting(outer):
        with progress.reporting(inner), progress.task("inner"):
            pass
        with progress.task("outer"):
            pass
    assert [e[1] for e in inner.events if e[0] == "started"] == ["inner"]
    assert [e[1] for e in outer.events if e[0] == "started"] == ["outer"]


def test_worker_threads_advance_one_task():
    seen = Recorder()
    with progress.reporting(seen), progress.task("Yosys, layers", 40) as work:
        threads = [threading.Thread(target=lambda: [work.advance() for _ in range(10)])]
        threads += [threading.Thread(target=lambda: [work.advance() for _ in range(10)])]
        threads += [threading.Thread(target=lambda: [work.advance() for _ in range(20)])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert work.done == 40 and seen.events[-1] == ("finished", 40, True)
