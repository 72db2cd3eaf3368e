"""The block design takes the packaged RTL core: the project scripts codegen writes with
--backend rtl run to the end against the recorded Vivado stub, with a catalog entry whose
interfaces and pins are read off the generated top's SystemVerilog ports (what Vivado's IP
packager infers from their names), for a core with a DDR weight master."""

from __future__ import annotations

import re

from qnnflow.backends.rtl.package_tcl import ip_vlnv
from qnnflow.flow import BuildConfig
from qnnflow.flow.hls_steps import bitstream_dir, vivado_dir
from qnnflow.flow.rtl_steps import IP_REPO, rtl_dir, write_rtl_sources
from tests.backends.rtl.test_network import two_mvu_chain
from tests.backends.tcl_stub import run_stub

PORT = re.compile(r"^\s*(?:/\*.*?\*/\s*)?(input|output)\s+logic\s+(?:\[(\d+):0\]\s+)?(\w+)", re.M)


def catalog_entry(top_sv: str, top: str) -> str:
    """The core's interfaces as Vivado infers them from the top's port names."""
    ports = {name: (kind, int(msb or 0) + 1) for kind, msb, name in PORT.findall(top_sv)}
    intf, pins = {}, []
    for name, (kind, width) in ports.items():
        if name.endswith("_tdata"):
            role = "slave" if kind == "input" else "master"
            intf[name.removesuffix("_tdata")] = f"axis {role} {width}"
        elif name.startswith("m_axi_") and name.endswith("_rdata"):
            intf[name.removesuffix("_rdata")] = f"aximm master {width}"
        elif name == "s_axi_control_wdata":
            intf["s_axi_control"] = f"aximm slave {width}"
        elif name in ("ap_clk", "ap_rst_n", "interrupt"):
            pins.append(name)
    body = " ".join(f"{name} {{{value}}}" for name, value in intf.items())
    return f"vlnv {ip_vlnv(top)} interfaces {{{body}}} pins {{{' '.join(pins)}}}"


def _codegen(tmp_path) -> BuildConfig:
    """The RTL codegen of a chain whose second MVU streams its weights from DDR."""
    model = two_mvu_chain()
    path = tmp_path / "two.onnx"
    model.save(str(path))
    cfg = BuildConfig(model=path, output_root=tmp_path / "out", backend="rtl")
    write_rtl_sources(model, cfg, vivado_dir(cfg), bitstream_dir(cfg))
    return cfg


def _run(cfg: BuildConfig, entry: str):
    repo = rtl_dir(cfg) / IP_REPO  # where package_ip.tcl leaves the core
    repo.mkdir()
    (repo / "component.xml").write_text("<stub/>")
    (repo / "stub_component.tcl").write_text(entry)
    return run_stub("vivado_stub.tcl", vivado_dir(cfg) / "project.tcl", cfg.output_dir, env={})


def test_block_design_takes_the_packaged_rtl_core(tmp_path):
    cfg = _codegen(tmp_path)
    top = "qnnflow_accel"
    entry = catalog_entry((rtl_dir(cfg) / f"{top}.sv").read_text(), top)
    assert "interrupt" in entry and "m_axi_L_mvu2_wddr {aximm master 64}" in entry
    run = _run(cfg, entry)
    assert run.returncode == 0, run.output
    nets = run.named("connect_bd_intf_net")
    assert ["accel/m_axi_L_mvu2_wddr", "weights_hp1_sc/S00_AXI"] in nets
    assert ["accel/out0", "dma/S_AXIS_S2MM"] in nets
    assert (bitstream_dir(cfg) / f"{top}.bit").is_file()


def test_the_stub_refuses_a_core_without_the_interrupt_pin(tmp_path):
    cfg = _codegen(tmp_path)
    text = (rtl_dir(cfg) / "qnnflow_accel.sv").read_text()
    run = _run(cfg, catalog_entry(text, "qnnflow_accel").replace(" interrupt}", "}"))
    assert run.returncode != 0 and "interrupt" in run.output
