"""Finding and running the vendor tools: overrides, the one-line message when a tool is
missing, failures with the log's first error, and results produced on another machine."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from qnnflow.toolchain import (
    ToolFailed,
    ToolNotFound,
    find_tool,
    require_tool,
    resume_command,
    run_tcl,
    tool_command,
)
from tests.backends.tcl_stub import STUBS, tclsh


def _fake_tool(folder, name, stub):
    """An executable `name` that runs its last argument under tclsh with the recorded stub."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "#!/bin/sh\n"
        "for last; do :; done\n"
        f'STUB_LOG="${{STUB_LOG:-calls.log}}" exec {tclsh()} {STUBS / "run.tcl"} {stub} "$last"\n'
    )
    path.chmod(0o755)
    return path


def test_override_env_and_path(tmp_path, monkeypatch):
    tool = _fake_tool(tmp_path / "Vivado/2023.2/bin", "vivado", "vivado_stub.tcl")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("QNNFLOW_VIVADO", raising=False)
    assert find_tool("vivado") is None
    assert find_tool("vivado", override=tmp_path / "Vivado/2023.2") == tool.resolve()
    monkeypatch.setenv("QNNFLOW_VIVADO", str(tool))
    assert find_tool("vivado") == tool.resolve()
    monkeypatch.setenv("QNNFLOW_VIVADO", str(tmp_path / "nowhere"))
    with pytest.raises(ToolNotFound, match="QNNFLOW_VIVADO.*nowhere"):
        find_tool("vivado")
    monkeypatch.delenv("QNNFLOW_VIVADO")
    monkeypatch.setenv("PATH", str(tool.parent))
    assert find_tool("vivado") == tool


def test_missing_tool_says_what_to_run_and_how_to_resume(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("QNNFLOW_VITIS_HLS", raising=False)
    hls = tmp_path / "build/m/hls"
    (hls / "tcl").mkdir(parents=True)
    (hls / "tcl/stitched.tcl").write_text("exit\n")
    resume = resume_command("pynq_z2", "m.cfg", None, "ip")
    with pytest.raises(ToolNotFound) as info:
        run_tcl("vitis_hls", "tcl/stitched.tcl", hls, resume=resume)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("vitis_hls not found")
    assert f"cd {hls} && vitis_hls -f tcl/stitched.tcl" in message
    assert "Vitis HLS 2023.2" in message
    assert "qnnflow build --board pynq_z2 --model m.cfg --from-step ip" in message
    with pytest.raises(ToolNotFound, match="install Vivado 2023.2 or set QNNFLOW_VIVADO"):
        require_tool("vivado")


def test_runs_a_script_through_the_stub(tmp_path):
    tool = _fake_tool(tmp_path / "bin", "vitis_hls", "vitis_hls_stub.tcl")
    (tmp_path / "a.cpp").write_text("")
    (tmp_path / "s.tcl").write_text(
        "open_project -reset p\nset_top f\nadd_files a.cpp\nopen_solution s\n"
        "set_part xc7z020clg400-1\ncreate_clock -period 10\ncsynth_design\n"
        "export_design -format ip_catalog -vendor v -library l -version 1.0 -ipname f\nexit\n"
    )
    run = run_tcl("vitis_hls", "s.tcl", tmp_path, override=tool, outputs=["p/s/impl/ip"])
    assert run.command == tuple(tool_command("vitis_hls", "s.tcl", tool.resolve()))
    assert run.log == tmp_path / "s.log"
    assert "export_design\tv:l:f:1.0" in (tmp_path / "calls.log").read_text()


def test_failure_names_the_first_error_and_the_log(tmp_path):
    tool = _fake_tool(tmp_path / "bin", "vivado", "vivado_stub.tcl")
    (tmp_path / "p.tcl").write_text("create_project x x -part xc7z020clg400-1\ncreat_bd_design d\n")
    with pytest.raises(ToolFailed, match=r"exit 1.*unknown command 'creat_bd_design'.*p\.log"):
        run_tcl("vivado", "p.tcl", tmp_path, override=tool)


def test_missing_output_is_a_failure(tmp_path):
    tool = _fake_tool(tmp_path / "bin", "vivado", "vivado_stub.tcl")
    (tmp_path / "p.tcl").write_text("puts hello\n")
    with pytest.raises(ToolFailed, match="did not write .*out.bit"):
        run_tcl("vivado", "p.tcl", tmp_path, override=tool, outputs=["out.bit"])


def test_results_from_another_machine_are_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("QNNFLOW_VIVADO", raising=False)
    script = tmp_path / "project.tcl"
    script.write_text("exit\n")
    bit = tmp_path / "out/top.bit"
    bit.parent.mkdir()
    bit.write_text("bits")
    old = time.time() - 100
    os.utime(bit, (old, old))  # older than the script: stale, must not be reused
    with pytest.raises(ToolNotFound):
        run_tcl("vivado", script, tmp_path, outputs=["out/top.bit"])
    os.utime(bit, None)
    assert run_tcl("vivado", script, tmp_path, outputs=["out/top.bit"]).reused


def test_unknown_tool():
    with pytest.raises(Exception, match="unknown tool 'quartus'"):
        find_tool("quartus")


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")
def test_timeout(tmp_path):
    tool = tmp_path / "vivado"
    tool.write_text("#!/bin/sh\nsleep 5\n")
    tool.chmod(0o755)
    (tmp_path / "p.tcl").write_text("")
    with pytest.raises(ToolFailed, match="timed out"):
        run_tcl("vivado", "p.tcl", tmp_path, override=tool, timeout_s=0.5)
