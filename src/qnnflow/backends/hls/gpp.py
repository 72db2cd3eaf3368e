"""Compile generated C++ with g++ alone (no vendor tools) and run it; binaries are cached by
the hash of every source and flag, so re-running a simulation does not recompile. g++, its
cache folder and the timeouts come from qnnflow.toolchain; cpp_cache keeps the cache private
and bounded."""

from __future__ import annotations

import hashlib
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
from qnnflow.backends.hls.paths import ap_types_include_dir, hls_library_dir
from qnnflow.errors import QnnflowError

# -Wno-unknown-pragmas: g++ does not know `#pragma HLS` (compat.hpp silences the ap_types
# headers' own false warnings; everything else must be clean).
CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Werror", "-Wno-unknown-pragmas")


class CompileError(QnnflowError):
    """g++ rejected generated code: names the main file and shows the first errors."""


def require_gpp() -> str:
    """The g++ executable (found by qnnflow.toolchain)."""
    return str(toolchain.require_gpp())


def default_cache_dir() -> Path:
    """The per-user cache folder (see qnnflow.toolchain.cpp_cache_dir)."""
    return toolchain.cpp_cache_dir()


def _library_digest() -> str:
    digest = hashlib.sha256()
    for header in sorted((hls_library_dir() / "qnnflow").rglob("*.hpp")):
        digest.update(header.name.encode())
        digest.update(header.read_bytes())
    return digest.hexdigest()


def compile_program(
    files: dict[str, str],
    main: str,
    cache_dir: Path | None = None,
    flags: tuple = (),
    timeout_s: float | None = None,
) -> Path:
    """Write `files` (name -> text) into a cached folder and compile `main` among them.

    Returns the executable; the same sources, library and flags reuse the earlier binary
    (after checking that it and its folders are yours and private)."""
    digest = hashlib.sha256(_library_digest().encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    all_flags = (*CXXFLAGS, *flags)
    digest.update(" ".join(all_flags).encode() + main.encode())
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cpp_cache.entry_folder(root, digest.hexdigest()[:24])
    exe = folder / "sim"
    if exe.is_file():
        cpp_cache.check_runnable(exe)
        cpp_cache.mark_used(folder)
        return exe
    for name, text in files.items():
        (folder / name).write_text(text)
    partial = folder / f"sim.{os.getpid()}.partial"
    cmd = [
        require_gpp(),
        *all_flags,
        f"-I{folder}",
        f"-I{hls_library_dir()}",
        "-isystem",
        str(ap_types_include_dir()),
        str(folder / main),
        "-o",
        str(partial),
    ]
    return _compile_into_cache(cmd, folder / main, partial, exe, root, timeout_s)


def _compile_into_cache(
    cmd: list[str], source: Path, partial: Path, target: Path, root: Path, timeout: float | None
) -> Path:
    """Run g++ `cmd` (which writes `partial`), then move the result to `target` and prune the
    cache; a failed, killed or timed-out compile leaves no file behind."""
    try:
        result = toolchain.run_with_timeout(
            cmd, "g++", f"compiling {source}", timeout, capture_output=True, text=True
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if result.returncode:
        partial.unlink(missing_ok=True)
        errors = [ln for ln in result.stderr.splitlines() if "error" in ln][:5]
        raise CompileError(
            f"g++ failed on {source}:\n" + "\n".join(errors or result.stderr.splitlines()[:5])
        )
    partial.replace(target)
    cpp_cache.prune(root, toolchain.cpp_cache_cap_bytes(), keep=target.parent)
    return target


def run_program(exe: Path, args: list[str], cwd: Path, timeout_s: float | None = None) -> str:
    """Run a compiled simulation (its timeout from qnnflow.toolchain unless given); a
    non-zero exit becomes a QnnflowError with its stderr."""
    cpp_cache.check_runnable(exe)
    try:
        result = toolchain.run_with_timeout(
            [str(exe), *args],
            "simulation",
            f"running {exe}",
            timeout_s,
            capture_output=True,
            text=True,
            cwd=cwd,
        )
    except FileNotFoundError:
        raise QnnflowError(f"C++ simulation {exe} vanished (pruned from the cache?)") from None
    if result.returncode:
        raise QnnflowError(failure_message(exe, result.returncode, result.stderr))
    return result.stdout


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


def compile_shared_library(
    source: Path,
    key: str = "",
    cache_dir: Path | None = None,
    flags: tuple = (),
    timeout_s: float | None = None,
) -> Path:
    """Compile one C++ file into a cached shared library for ctypes (e.g. the stb_image shim),
    in the same private, pruned cache as the simulations.

    `key` joins the source and flags in the cache hash (say, a digest of a system header)."""
    text = Path(source).read_text()
    all_flags = ("-std=c++17", "-O2", "-shared", "-fPIC", *flags)
    digest = hashlib.sha256(f"{text}\0{' '.join(all_flags)}\0{key}".encode()).hexdigest()
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cpp_cache.entry_folder(root, f"lib-{digest[:24]}")
    library = folder / f"{Path(source).stem}.so"
    if library.is_file():
        cpp_cache.check_runnable(library)
        cpp_cache.mark_used(folder)
        return library
    partial = folder / f"{library.name}.{os.getpid()}.partial"
    cmd = [require_gpp(), *all_flags, str(source), "-o", str(partial)]
    return _compile_into_cache(cmd, Path(source), partial, library, root, timeout_s)


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
