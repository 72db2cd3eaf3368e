"""The PYNQ-Z2 project and block design scripts run to the end against the recorded Vivado
stub, and the block design they build is the one the driver expects."""

from __future__ import annotations

import dataclasses

import pytest

from qnnflow.backends.hls.tcl import ip_repo_dir, ip_vlnv
from qnnflow.backends.ip_manifest import IpManifestError
from qnnflow.backends.vivado.project import assign_weight_ports, dma_stream_width, render
from qnnflow.boards import load_board
from tests.backends.manifests import tiny_manifest, two_output_manifest
from tests.backends.tcl_stub import run_stub

BOARD_PART = "tul.com.tw:pynq-z2:part0:1.0"


def _catalog_entry(manifest, drop: str | None = None) -> str:
    """The stitched IP's interfaces as Vitis HLS names them (written independently of the
    renderer, from the naming rules in ip_manifest's docstring)."""
    intf = {
        manifest.in_port: f"axis slave {manifest.in_width_bits}",
        manifest.out_port: f"axis master {manifest.out_width_bits}",
        "s_axi_control": "aximm slave 32",
    }
    for port, width in manifest.outputs[1:]:
        intf[port] = f"axis master {width}"
    for layer in manifest.axi_mm_layers:
        intf[f"m_axi_{layer.axi_mm.bundle}"] = "aximm master 64"
    intf.pop(drop, None)
    body = " ".join(f"{name} {{{value}}}" for name, value in intf.items())
    return f"vlnv {ip_vlnv(manifest.top)} interfaces {{{body}}} pins {{ap_clk ap_rst_n interrupt}}"


def _build(tmp_path, manifest, board_parts: str = BOARD_PART, drop: str | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    repo = ip_repo_dir(tmp_path / "hls", manifest)
    repo.mkdir(parents=True)
    (repo / "component.xml").write_text("<stub/>")
    (repo / "stub_component.tcl").write_text(_catalog_entry(manifest, drop))
    vivado = tmp_path / "vivado"
    vivado.mkdir()
    for name, text in render(
        manifest, load_board("pynq_z2"), "../hls/prj_qnn_top/sol1/impl/ip", output_dir="../deploy"
    ).items():
        (vivado / name).write_text(text)
    return run_stub(
        "vivado_stub.tcl", vivado / "project.tcl", tmp_path, env={"STUB_BOARD_PARTS": board_parts}
    )


def test_block_design_with_weight_streaming(tmp_path):
    manifest = tiny_manifest()
    run = _build(tmp_path, manifest)
    assert run.returncode == 0, run.output
    nets = run.named("connect_bd_intf_net")
    # input: DMA -> 32->24 bit converter -> accelerator; output: 16 bit straight to the DMA
    assert ["dma/M_AXIS_MM2S", "in_width_conv/S_AXIS"] in nets
    assert ["in_width_conv/M_AXIS", "accel/in0"] in nets
    assert ["accel/out0", "dma/S_AXIS_S2MM"] in nets
    assert ["ps7/M_AXI_GP0", "ctrl_sc/S00_AXI"] in nets
    assert ["data_sc/M00_AXI", "ps7/S_AXI_HP0"] in nets
    # every weight master reaches its own HP port (heaviest first: w6, w7, w5)
    for bundle, hp in (("w6", 1), ("w7", 2), ("w5", 3)):
        assert [f"accel/m_axi_{bundle}", f"weights_hp{hp}_sc/S00_AXI"] in nets
        assert [f"weights_hp{hp}_sc/M00_AXI", f"ps7/S_AXI_HP{hp}"] in nets
    assert run.named("assign_bd_address") == [
        ["dma/S_AXI_LITE", "0x40400000"],
        ["accel/s_axi_control", "0x43C00000"],
        ["all"],
    ]
    assert run.named("apply_bd_automation") == [["ps7", "1"]]
    order = run.order()
    assert (
        order.index("validate_bd_design")
        < order.index("generate_target")
        < order.index("launch_runs")
    )
    assert run.named("launch_runs")[1] == ["impl_1", "to_step", "write_bitstream", "jobs", "2"]
    assert (tmp_path / "deploy/qnn_top.bit").is_file()
    assert (tmp_path / "deploy/qnn_top.hwh").read_text().startswith("<stub hwh")
    assert "wns_ns" in (tmp_path / "deploy/vivado_summary.json").read_text()


def test_every_extra_output_gets_its_own_s2mm_dma(tmp_path):
    run = _build(tmp_path, two_output_manifest())
    assert run.returncode == 0, run.output
    nets = run.named("connect_bd_intf_net")
    assert ["accel/out0", "dma/S_AXIS_S2MM"] in nets
    # out1: 40 bits -> 64-bit converter -> its own DMA, which writes DDR through HP0
    assert ["accel/out1", "out1_width_conv/S_AXIS"] in nets
    assert ["out1_width_conv/M_AXIS", "dma_out1/S_AXIS_S2MM"] in nets
    assert ["dma_out1/M_AXI_S2MM", "data_sc/S02_AXI"] in nets
    assert ["ctrl_sc/M01_AXI", "dma_out1/S_AXI_LITE"] in nets
    assert ["ctrl_sc/M02_AXI", "accel/s_axi_control"] in nets
    dma = [c for c in run.named("set_property") if c[:1] == ["dma_out1"]]
    assert ["dma_out1", "c_include_mm2s", "0"] in dma and ["dma_out1", "c_include_s2mm", "1"] in dma
    assert ["dma_out1", "c_s_axis_s2mm_tdata_width", "64"] in dma
    assert ["dma_out1/s2mm_introut", "irq_concat/In2"] in run.named("connect_bd_net")
    assert run.named("assign_bd_address") == [
        ["dma/S_AXI_LITE", "0x40400000"],
        ["dma_out1/S_AXI_LITE", "0x40410000"],
        ["accel/s_axi_control", "0x43C00000"],
        ["all"],
    ]


def test_an_extra_output_missing_from_the_ip_fails_in_the_stub(tmp_path):
    run = _build(tmp_path, two_output_manifest(), drop="out1")
    assert run.returncode == 1
    assert "no interface accel/out1" in run.output


def test_without_board_files_the_fallback_preset_is_used(tmp_path):
    run = _build(tmp_path, tiny_manifest(weights=False), board_parts="")
    assert run.returncode == 0, run.output
    assert run.named("apply_bd_automation") == [["ps7", "0"]]
    assert ["ps7", "PCW_UIPARAM_DDR_BUS_WIDTH", "16 Bit"] in run.named("set_property")
    assert not any(call[0] == "weights_hp1_sc" for call in run.named("create_bd_cell"))


def test_an_ip_without_the_weight_port_fails_in_the_stub(tmp_path):
    run = _build(tmp_path, tiny_manifest(), drop="m_axi_w7")
    assert run.returncode == 1
    assert "no interface accel/m_axi_w7" in run.output


def test_a_wrong_stream_width_is_caught(tmp_path):
    manifest = tiny_manifest(weights=False)
    manifest = dataclasses.replace(manifest, out_width_bits=8)  # the IP really has 16 bits
    repo = ip_repo_dir(tmp_path / "hls", manifest)
    repo.mkdir(parents=True)
    (repo / "component.xml").write_text("<stub/>")
    (repo / "stub_component.tcl").write_text(_catalog_entry(tiny_manifest(weights=False)))
    (tmp_path / "vivado").mkdir()
    for name, text in render(manifest, load_board("pynq_z2"), repo).items():
        (tmp_path / "vivado" / name).write_text(text)
    run = run_stub("vivado_stub.tcl", tmp_path / "vivado/project.tcl", tmp_path)
    assert run.returncode == 1
    assert "stream widths differ" in run.output


def test_dma_widths_and_port_balance():
    assert [dma_stream_width(b) for b in (8, 24, 32, 40, 1024)] == [8, 32, 32, 64, 1024]
    with pytest.raises(Exception, match="wider than"):
        dma_stream_width(1032)
    assert assign_weight_ports(tiny_manifest(), 4) == {
        1: ["m_axi_w6"],
        2: ["m_axi_w7"],
        3: ["m_axi_w5"],
    }
    assert assign_weight_ports(tiny_manifest(), 3) == {1: ["m_axi_w6"], 2: ["m_axi_w7", "m_axi_w5"]}


def test_manifest_and_board_must_agree():
    board = load_board("pynq_z2")
    with pytest.raises(IpManifestError, match="part"):
        render(dataclasses.replace(tiny_manifest(), part="xc7z010clg400-1"), board, "ip")
    with pytest.raises(IpManifestError, match="clock_ns"):
        render(dataclasses.replace(tiny_manifest(), clock_ns=12.5), board, "ip")
    with pytest.raises(IpManifestError, match="TLAST"):
        render(dataclasses.replace(tiny_manifest(), output_tlast=False), board, "ip")


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("c_include_sg 0 ", "", "dma/M_AXI_SG unconnected"),
        ("dict set values PCW_USE_S_AXI_HP$hp 1", "", "no interface ps7/S_AXI_HP"),
        ("c_sg_length_width", "c_sg_length_wdth", "has no parameter c_sg_length_wdth"),
        ("    assign_bd_address\n", "\n", "DDR windows of the masters not assigned"),
        ("qnn::clocked {accel/ap_clk} {accel/ap_rst_n}", "", "accel/ap_clk unconnected"),
        (
            "connect_bd_net [qnn::pin ps7/FCLK_RESET0_N]",
            "list [qnn::pin ps7/FCLK_RESET0_N]",
            "rst_fclk0/ext_reset_in unconnected",
        ),
    ],
)
def test_the_stub_catches_a_broken_block_design(tmp_path, old, new, error):
    """Each edit breaks the design the way a template typo would; the stub must refuse it."""
    manifest = tiny_manifest()
    assert _build(tmp_path / "good", manifest).returncode == 0
    script = tmp_path / "good/vivado/block_design.tcl"
    text = script.read_text()
    assert old in text
    script.write_text(text.replace(old, new, 1))
    run = run_stub(
        "vivado_stub.tcl",
        tmp_path / "good/vivado/project.tcl",
        tmp_path / "good",
        env={"STUB_BOARD_PARTS": BOARD_PART},
    )
    assert run.returncode == 1
    assert error in run.output
