"""The g++ cache: private (0700, yours) before anything in it runs, pruned by size oldest
first, killed builds' partial outputs dropped, and g++ / simulation runs bounded by timeouts
named in the error."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from qnnflow.backends.hls import cpp_cache
from qnnflow.backends.hls.cpp_cache import UnsafeCacheError
from qnnflow.backends.hls.gpp import compile_program, run_program
from qnnflow.toolchain import ToolTimeout

needs_gpp = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

SLEEPER = {
    "main.cpp": "#include <chrono>\n#include <thread>\n"
    "int main() { std::this_thread::sleep_for(std::chrono::seconds(30)); return 0; }\n"
}
HELLO = {"main.cpp": '#include <cstdio>\nint main() { std::puts("hello"); return 0; }\n'}


def _entry(root: Path, name: str, size: int, age_s: float) -> Path:
    folder = root / name
    folder.mkdir(mode=0o700)
    (folder / "sim").write_bytes(b"x" * size)
    stamp = time.time() - age_s
    os.utime(folder, (stamp, stamp))
    return folder


def test_a_new_cache_is_created_private(tmp_path):
    old = os.umask(0)  # even a permissive umask gives 0700
    try:
        root = cpp_cache.private_root(tmp_path / "a" / "cpp")
    finally:
        os.umask(old)
    assert root.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o707])
def test_a_cache_others_can_reach_is_refused_before_compiling(tmp_path, mode, monkeypatch):
    root = tmp_path / "cpp"
    root.mkdir()
    root.chmod(mode)
    monkeypatch.setenv("QNNFLOW_GPP", "/nonexistent/g++")  # g++ must never be reached
    with pytest.raises(UnsafeCacheError, match=rf"has mode {mode:04o}.*expected at most 0700"):
        compile_program(HELLO, "main.cpp", root)


def test_a_cache_of_another_user_is_refused(tmp_path, monkeypatch):
    root = cpp_cache.private_root(tmp_path / "cpp")
    monkeypatch.setattr(cpp_cache.os, "getuid", lambda: os.stat(root).st_uid + 1)
    with pytest.raises(UnsafeCacheError, match=r"is owned by uid \d+, not you"):
        compile_program(HELLO, "main.cpp", root)


def test_a_symlinked_cache_is_refused(tmp_path):
    real = cpp_cache.private_root(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(UnsafeCacheError, match="is a symbolic link"):
        compile_program(HELLO, "main.cpp", link)


@needs_gpp
def test_a_cached_binary_others_can_write_is_not_run(tmp_path):
    exe = compile_program(HELLO, "main.cpp", tmp_path / "cpp")
    assert run_program(exe, [], tmp_path).strip() == "hello"
    exe.chmod(0o777)
    with pytest.raises(UnsafeCacheError, match="binary .* has mode 0777"):
        compile_program(HELLO, "main.cpp", tmp_path / "cpp")  # a cache hit is checked too
    with pytest.raises(UnsafeCacheError, match="binary"):
        run_program(exe, [], tmp_path)


def test_prune_removes_the_oldest_entries_down_to_the_cap(tmp_path):
    root = cpp_cache.private_root(tmp_path / "cpp")
    oldest = _entry(root, "a", 400, age_s=300)
    middle = _entry(root, "b", 400, age_s=200)
    newest = _entry(root, "c", 400, age_s=100)
    removed = cpp_cache.prune(root, cap_bytes=900)
    assert removed == [oldest]
    assert not oldest.exists() and middle.exists() and newest.exists()
    assert cpp_cache.prune(root, cap_bytes=0, keep=middle) == [newest]
    assert [p.name for p in root.iterdir()] == ["b"]


def test_a_cache_hit_counts_as_recent_use(tmp_path):
    root = cpp_cache.private_root(tmp_path / "cpp")
    used = _entry(root, "a", 400, age_s=300)
    other = _entry(root, "b", 400, age_s=100)
    cpp_cache.mark_used(used)
    assert cpp_cache.prune(root, cap_bytes=500) == [other]


def test_partial_outputs_of_dead_processes_are_dropped(tmp_path):
    root = cpp_cache.private_root(tmp_path / "cpp")
    folder = _entry(root, "a", 10, age_s=0)
    dead, alive = folder / "sim.999999999.partial", folder / f"sim.{os.getpid()}.partial"
    dead.write_bytes(b"")
    alive.write_bytes(b"")
    cpp_cache.prune(root, cap_bytes=2**30)
    assert not dead.exists() and alive.exists()


@needs_gpp
def test_compiling_prunes_to_the_configured_cap(tmp_path, monkeypatch):
    root = cpp_cache.private_root(tmp_path / "cpp")
    stale = _entry(root, "stale", 4096, age_s=1000)
    monkeypatch.setenv("QNNFLOW_CPP_CACHE_MB", "0")
    exe = compile_program(HELLO, "main.cpp", root)
    assert exe.is_file() and not stale.exists()  # the new entry is kept, the old one goes


@needs_gpp
def test_a_simulation_past_its_timeout_is_killed_and_named(tmp_path, monkeypatch):
    exe = compile_program(SLEEPER, "main.cpp", tmp_path / "cpp")
    began = time.monotonic()
    with pytest.raises(ToolTimeout, match=r"^simulation timed out after 0.5 s running .*sim"):
        run_program(exe, [], tmp_path, timeout_s=0.5)
    monkeypatch.setenv("QNNFLOW_SIM_TIMEOUT", "0.25")
    with pytest.raises(ToolTimeout, match=r"after 0.25 s .*; raise QNNFLOW_SIM_TIMEOUT$"):
        run_program(exe, [], tmp_path)
    assert time.monotonic() - began < 15


def test_a_hanging_compiler_is_killed_with_its_children(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "g++"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 30\n")  # the sleep is a child holding the pipes
    fake.chmod(0o755)
    monkeypatch.setenv("QNNFLOW_GPP", str(fake))
    monkeypatch.setenv("QNNFLOW_GPP_TIMEOUT", "0.5")
    began = time.monotonic()
    with pytest.raises(
        ToolTimeout, match=r"^g\+\+ timed out after 0.5 s compiling .*main.cpp; raise QNNFLOW_GPP"
    ):
        compile_program(HELLO, "main.cpp", tmp_path / "cpp")
    assert time.monotonic() - began < 10
    assert not list((tmp_path / "cpp").rglob("*.partial"))
