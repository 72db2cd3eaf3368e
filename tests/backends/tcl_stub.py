"""Run a generated Tcl script under tclsh with the recorded Vivado / Vitis HLS stubs
(tests/backends/stubs) and return the logged calls."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

STUBS = Path(__file__).resolve().parent / "stubs"


@dataclass
class StubRun:
    returncode: int
    calls: list[list[str]]
    output: str

    def named(self, command: str) -> list[list[str]]:
        return [call[1:] for call in self.calls if call[0] == command]

    def order(self) -> list[str]:
        return [call[0] for call in self.calls]


def tclsh() -> str:
    path = shutil.which("tclsh")
    if path is None:
        pytest.skip("tclsh not installed")
    return path


def run_stub(stub: str, script: Path, cwd: Path, env: dict[str, str] | None = None) -> StubRun:
    """`stub` is vivado_stub.tcl or vitis_hls_stub.tcl; the script runs in `cwd`."""
    log = cwd / f".{script.name}.calls"
    environ = {**os.environ, "STUB_LOG": str(log), **(env or {})}
    result = subprocess.run(
        [tclsh(), str(STUBS / "run.tcl"), stub, str(script)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
    return StubRun(result.returncode, calls, result.stdout + result.stderr)
