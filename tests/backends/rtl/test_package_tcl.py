"""The RTL core's packaging script: every placeholder filled, the HLS top's interface names,
and the register map the driver looks up (CTRL, then 0x10 + 8*i per weight port)."""

from __future__ import annotations

import pytest

from qnnflow.backends.rtl.package_tcl import control_registers, ip_vlnv, render_package_tcl
from qnnflow.driver.pynq_backend import pointer_registers
from qnnflow.errors import QnnflowError


def test_registers_are_where_the_driver_writes_the_weight_addresses():
    rows = control_registers(["L_a_wddr", "L_b_wddr"])
    assert rows == [("CTRL", "0x00"), ("L_a_wddr", "0x10"), ("L_b_wddr", "0x18")]
    hwh = {name: {"address_offset": int(offset, 16), "size": 32} for name, offset in rows}
    assert pointer_registers(hwh, "L_b_wddr") == [(0x18, 0)]


def test_script_names_the_hls_interfaces():
    text = render_package_tcl(
        "qnnflow_top", ["a.sv", "qnnflow_top.sv"], ["w.mem"], "xc7z020clg400-1", 2, ["L_a_wddr"]
    )
    assert "set streams      {in0 out0 out1}" in text
    assert "set masters      {m_axi_L_a_wddr}" in text
    assert "set control      s_axi_control" in text
    assert "set registers    {CTRL 0x00 L_a_wddr 0x10}" in text
    assert "@" not in text.replace("@(", "")
    assert ip_vlnv("qnnflow_top") == "qnnflow.org:rtl:qnnflow_top:1.0"


def test_without_weight_ports_there_is_no_control_slave():
    text = render_package_tcl("t", ["t.sv"], [], "xc7z020clg400-1", 1, [])
    assert "set control      {}" in text and "set masters      {}" in text


def test_an_accelerator_without_outputs_is_refused():
    with pytest.raises(QnnflowError, match="at least one output"):
        render_package_tcl("t", ["t.sv"], [], "xc7z020clg400-1", 0, [])
