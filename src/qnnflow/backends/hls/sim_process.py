"""Running a compiled simulation: a death by signal is named with its likely cause (SIGKILL:
the out-of-memory killer), and a run can stream its layer records through a pipe to a
reader while a timeout (QNNFLOW_SIM_TIMEOUT) watches it."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from qnnflow import toolchain
from qnnflow.backends.hls import cpp_cache
from qnnflow.errors import QnnflowError

# why a simulation most likely died of a signal (what to do about it follows)
LIKELY_CAUSES = {
    signal.SIGKILL: "probably out of memory: the simulation needed more than the machine has "
    "and the kernel's out-of-memory killer stopped it (`dmesg` says so); free memory, "
    "simulate a smaller input, or run on a bigger machine",
    signal.SIGABRT: "it aborted: a failed check, or std::bad_alloc (out of memory)",
    signal.SIGSEGV: "a crash in the generated C++: an out-of-bounds access, or a stack "
    "overflow (try `ulimit -s unlimited`)",
    signal.SIGBUS: "a crash in the generated C++ (a bad memory access)",
    signal.SIGFPE: "an arithmetic fault in the generated C++ (an integer division by zero)",
    signal.SIGTERM: "it was stopped from outside",
    signal.SIGINT: "it was interrupted",
    signal.SIGPIPE: "whoever read its layer streams stopped reading",
}


def describe_exit(returncode: int) -> str:
    """'exited with N', or for a negative code the signal by name and its likely cause."""
    if returncode >= 0:
        return f"exited with {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = "an unknown signal"
    cause = LIKELY_CAUSES.get(number)
    return f"was killed by {name} (signal {number})" + (f": {cause}" if cause else "")


def failure_message(exe: Path, returncode: int, stderr: str) -> str:
    detail = stderr.strip()
    return f"C++ simulation {exe} {describe_exit(returncode)}" + (
        f"; it printed: {detail}" if detail else ""
    )


class StreamingRun:
    """A running simulation whose last argument is a pipe it writes its layer streams to
    (`records`); `stdout` is filled in once it has exited cleanly."""

    def __init__(self, process: subprocess.Popen, records: BinaryIO):
        self.process = process
        self.records = records
        self.stdout = ""
        self.timed_out = threading.Event()
        self.stopped = False  # its pipe closed by us after the caller failed
        self.killed = False  # SIGKILL sent by us (timeout, or it ignored the closed pipe)

    def kill(self) -> None:
        self.killed = True
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def time_out(self) -> None:
        self.timed_out.set()
        self.kill()

    def stop(self, grace_s: float = 2.0) -> None:
        """Close the pipe (a writer gets SIGPIPE on its next write); kill it after `grace_s`."""
        self.stopped = True
        self.records.close()
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()


@contextmanager
def streaming_program(
    exe: Path, args: list[str], cwd: Path, timeout_s: float | None = None
) -> Iterator[StreamingRun]:
    """Start a compiled simulation with a pipe appended to `args` (as /dev/fd/N) and yield it
    while the caller reads the pipe. On leaving, wait for it: a timeout (QNNFLOW_SIM_TIMEOUT
    unless given) kills it and its children and says so, a crash names its signal and likely
    cause, and a failure of the caller stops it."""
    cpp_cache.check_runnable(exe)
    seconds = toolchain.tool_timeout_s("simulation") if timeout_s is None else timeout_s
    read_fd, write_fd = os.pipe()
    out_path, err_path = cwd / "sim.stdout", cwd / "sim.stderr"
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            process = subprocess.Popen(
                [str(exe), *args, f"/dev/fd/{write_fd}"],
                cwd=cwd,
                stdout=out,
                stderr=err,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
    except FileNotFoundError:
        os.close(read_fd)
        raise QnnflowError(f"C++ simulation {exe} vanished (pruned from the cache?)") from None
    finally:
        os.close(write_fd)
    run = StreamingRun(process, os.fdopen(read_fd, "rb"))
    timer = threading.Timer(seconds, run.time_out)
    timer.start()
    try:
        yield run
    except BaseException as error:
        run.stop()
        problem = _exit_problem(exe, run, seconds, err_path)
        if problem is not None and not isinstance(error, KeyboardInterrupt):
            raise problem from error  # the simulator's end explains a cut-off stream
        raise
    finally:
        timer.cancel()
    run.records.close()
    process.wait()
    problem = _exit_problem(exe, run, seconds, err_path)
    if problem is not None:
        raise problem
    run.stdout = out_path.read_text()


def _exit_problem(exe: Path, run: StreamingRun, seconds: float, err: Path) -> QnnflowError | None:
    """What a finished simulation's exit means: None for a clean exit or for an end that
    we caused after the caller failed (SIGPIPE from the closed pipe, our SIGKILL)."""
    code = run.process.returncode
    if run.timed_out.is_set():
        return toolchain.ToolTimeout(
            f"simulation timed out after {seconds:g} s running {exe} (the layer streams are "
            f"compared with numpy while it runs); raise {toolchain.TIMEOUTS['simulation'][0]}"
        )
    ours = (run.stopped and code == -signal.SIGPIPE) or (run.killed and code == -signal.SIGKILL)
    if code == 0 or ours:
        return None
    return QnnflowError(failure_message(exe, code, err.read_text(errors="replace")))
