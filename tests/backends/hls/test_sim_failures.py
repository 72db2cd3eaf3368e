"""A simulation that dies says how: its signal by name and the likely cause (SIGKILL is the
out-of-memory killer's), also when it dies while its layer streams are being read, and a
simulation past QNNFLOW_SIM_TIMEOUT is stopped and named."""

from __future__ import annotations

import shutil
import signal
import time

import pytest

from qnnflow.backends.hls.gpp import compile_program, run_program
from qnnflow.backends.hls.layer_records import RecordReader
from qnnflow.backends.hls.sim_process import describe_exit, streaming_program
from qnnflow.errors import QnnflowError
from qnnflow.toolchain import ToolTimeout

needs_gpp = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

# writes half a record to the pipe named by its last argument, then dies of SIGKILL (as the
# kernel's out-of-memory killer would kill it); with "sleep", waits instead of dying
DYING = {
    "main.cpp": """#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
int main(int argc, char **argv) {
    std::FILE *out = std::fopen(argv[argc - 1], "wb");
    unsigned char half[12] = {0x51, 0x4E, 0x4C, 0x53};
    std::fwrite(half, 1, sizeof half, out);
    std::fflush(out);
    std::fputs("allocating the next layer\\n", stderr);
    if (argc > 2 && std::strcmp(argv[1], "sleep") == 0) {
        std::this_thread::sleep_for(std::chrono::seconds(30));
    }
    std::raise(SIGKILL);
    return 0;
}
"""
}


@pytest.fixture(scope="module")
def dying(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("needs g++")
    return compile_program(DYING, "main.cpp", tmp_path_factory.mktemp("cpp"))


def test_signals_are_named_with_their_likely_cause():
    assert describe_exit(3) == "exited with 3"
    killed = describe_exit(-signal.SIGKILL)
    assert killed.startswith("was killed by SIGKILL (signal 9): probably out of memory")
    assert "SIGSEGV (signal 11): a crash in the generated C++" in describe_exit(-signal.SIGSEGV)
    assert "bad_alloc" in describe_exit(-signal.SIGABRT)
    assert describe_exit(-200) == "was killed by an unknown signal (signal 200)"


@needs_gpp
def test_a_killed_simulation_names_sigkill_and_memory(dying, tmp_path):
    with pytest.raises(QnnflowError) as caught:
        run_program(dying, [str(tmp_path / "records")], tmp_path)
    message = str(caught.value)
    assert "was killed by SIGKILL (signal 9): probably out of memory" in message
    assert message.endswith("it printed: allocating the next layer")


@needs_gpp
def test_a_simulation_killed_while_streaming_names_the_signal_not_the_cut(dying, tmp_path):
    with pytest.raises(QnnflowError, match=r"killed by SIGKILL \(signal 9\)") as caught:
        with streaming_program(dying, [], tmp_path) as run:
            RecordReader(run.records).next_header()  # half a header, then the end
    assert "cut off inside a record header" in str(caught.value.__cause__)


@needs_gpp
def test_a_streaming_simulation_past_its_timeout_is_stopped(dying, tmp_path, monkeypatch):
    began = time.monotonic()
    with pytest.raises(ToolTimeout, match=r"^simulation timed out after 0.5 s running .*sim"):
        with streaming_program(dying, ["sleep", "x"], tmp_path, timeout_s=0.5) as run:
            RecordReader(run.records).next_header()
    monkeypatch.setenv("QNNFLOW_SIM_TIMEOUT", "0.25")
    with pytest.raises(ToolTimeout, match=r"after 0.25 s .*; raise QNNFLOW_SIM_TIMEOUT$"):
        with streaming_program(dying, ["sleep", "x"], tmp_path) as run:
            run.records.read()
    assert time.monotonic() - began < 15


@needs_gpp
def test_a_reader_that_fails_stops_the_simulation_and_keeps_its_error(dying, tmp_path):
    began = time.monotonic()
    with pytest.raises(ValueError, match="comparison failed"):
        with streaming_program(dying, ["sleep", "x"], tmp_path):
            raise ValueError("comparison failed")
    assert time.monotonic() - began < 15
