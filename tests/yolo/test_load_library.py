"""Loading a native library must not change this process's floating-point mode: a library
built with -ffast-math (Debian's libdarknet.so is one) switches on flush-to-zero and
denormals-are-zero as it loads, and numpy then compares subnormal float32 values as zero
(found as a test-order dependency: least_float32's search on -0.0 failed after
test_stb_decoder had loaded libdarknet.so)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys

import numpy as np
import pytest

from qnnflow.yolo.shim_build import load_library

TINY = np.float32(1e-45)  # the smallest subnormal float32


def _fast_math_library(tmp_path):
    gpp = shutil.which("g++")
    if gpp is None:
        pytest.skip("no g++")
    source = tmp_path / "fast.cpp"
    source.write_text('extern "C" int qnnflow_answer() { return 42; }\n')
    out = tmp_path / "libfast.so"
    command = [gpp, "-O2", "-ffast-math", "-shared", "-fPIC", str(source), "-o", str(out)]
    subprocess.run(command, check=True, timeout=120, capture_output=True)
    return out


def _probe(library: str, loader: str) -> bool:
    """In a fresh interpreter: does a subnormal still compare above zero after the load?"""
    code = (
        "import ctypes, numpy as np\n"
        "from qnnflow.yolo.shim_build import load_library\n"
        f"lib = {loader}({library!r})\n"
        "assert lib.qnnflow_answer() == 42\n"
        "print(bool(np.float32(1e-45) > 0))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_a_fast_math_library_keeps_subnormals(tmp_path):
    library = str(_fast_math_library(tmp_path))
    if _probe(library, "ctypes.CDLL"):
        pytest.skip("this toolchain's -ffast-math does not set flush-to-zero at load")
    assert _probe(library, "load_library")


def test_in_this_process(tmp_path):
    lib = load_library(_fast_math_library(tmp_path))
    assert lib.qnnflow_answer() == 42
    assert TINY > 0 and np.nextafter(np.float32(-0.0), np.float32(1)) > 0
    assert isinstance(lib, ctypes.CDLL)
