"""Toolchain settings read from the environment (only there): timeouts, the g++ cache folder
and its cap, the compiler override; a vendor tool past its timeout is killed and named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.toolchain import (
    TIMEOUTS,
    ToolFailed,
    cpp_cache_cap_bytes,
    cpp_cache_dir,
    require_gpp,
    run_tcl,
    tool_timeout_s,
)


@pytest.mark.parametrize("what", sorted(TIMEOUTS))
def test_timeouts_have_defaults_and_env_overrides(what):
    var, default = TIMEOUTS[what]
    assert tool_timeout_s(what, {}) == default > 0
    assert tool_timeout_s(what, {var: "12.5"}) == 12.5
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(QnnflowError, match=rf"^{var}='{bad}': expected a positive number"):
            tool_timeout_s(what, {var: bad})


def test_cache_folder_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert cpp_cache_dir({}) == tmp_path / "home" / ".cache" / "qnnflow" / "cpp"
    assert cpp_cache_dir({"XDG_CACHE_HOME": "/x/c"}) == Path("/x/c/qnnflow/cpp")
    # the XDG spec says a relative path is invalid and must be ignored
    assert cpp_cache_dir({"XDG_CACHE_HOME": "rel"}) == tmp_path / "home/.cache/qnnflow/cpp"
    assert cpp_cache_dir({"QNNFLOW_CPP_CACHE": "/y", "XDG_CACHE_HOME": "/x"}) == Path("/y")
    assert "tmp" not in str(cpp_cache_dir({"XDG_CACHE_HOME": "/x/c"}))


def test_cache_cap_default_and_override():
    assert cpp_cache_cap_bytes({}) == 1024 * 2**20
    assert cpp_cache_cap_bytes({"QNNFLOW_CPP_CACHE_MB": "1.5"}) == 3 * 2**19
    with pytest.raises(QnnflowError, match="QNNFLOW_CPP_CACHE_MB='-3'"):
        cpp_cache_cap_bytes({"QNNFLOW_CPP_CACHE_MB": "-3"})


def test_gpp_override_must_be_an_executable(tmp_path):
    with pytest.raises(QnnflowError, match="QNNFLOW_GPP=.* is not an executable"):
        require_gpp({"QNNFLOW_GPP": str(tmp_path / "nope")})
    with pytest.raises(QnnflowError, match="needs g\\+\\+ on PATH"):
        require_gpp({"PATH": str(tmp_path)})


def test_vendor_tool_timeout_from_the_environment(tmp_path, monkeypatch):
    tool = tmp_path / "vivado"
    tool.write_text("#!/bin/sh\nsleep 30\n")
    tool.chmod(0o755)
    (tmp_path / "p.tcl").write_text("")
    monkeypatch.setenv("QNNFLOW_VIVADO_TIMEOUT", "0.5")
    began = time.monotonic()
    with pytest.raises(
        ToolFailed, match=r"^vivado timed out after 0.5 s running .*p.tcl; raise QNNFLOW_VIVADO"
    ):
        run_tcl("vivado", "p.tcl", tmp_path, override=tool)
    assert time.monotonic() - began < 10
