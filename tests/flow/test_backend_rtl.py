"""`qnnflow build --backend rtl`: codegen writes rtl/ (our SystemVerilog, the stitched top with
the HLS top's ports, .mem files, DDR images, IP manifest, Vivado's packaging script), rtlsim
checks it in Verilator in place of cppsim, the deploy package is the HLS build's byte for
byte, reruns are byte-identical, switching the backend reruns codegen and what follows, and
without Vivado the ip step stops with the one command to run in rtl/."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from qnnflow.backends.hls.manifest import network_manifest
from qnnflow.backends.hls.network import build_network_code
from qnnflow.backends.ip_manifest import IpManifest
from qnnflow.backends.rtl.package_tcl import ip_vlnv
from qnnflow.boards import load_board
from qnnflow.cli import main
from qnnflow.commands.sim import sim_level
from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build
from qnnflow.flow.rtl_steps import rtl_files
from qnnflow.flow.state import load_state
from tests.backends.rtl.test_network import two_mvu_chain
from tests.flow.micro import micro_config

TCL_SET = re.compile(r"^set (\w+)\s+(.*)$", re.M)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _tcl_values(text: str) -> dict[str, str]:
    """The script's `set name value` lines; the first of each name (the filled value)."""
    values: dict[str, str] = {}
    for name, value in TCL_SET.findall(text):
        values.setdefault(name, value)
    return values


def _port_width(sv: str, port: str) -> int:
    found = re.search(rf"logic \[(\d+):0\] {port}\b", sv)
    assert found, port
    return int(found.group(1)) + 1


@pytest.fixture(scope="module")
def rtl_build(micro_build, tmp_path_factory) -> Path:
    """The micro model built with --backend rtl up to package, through the CLI."""
    model, _ = micro_build
    root = tmp_path_factory.mktemp("rtl")
    args = ["build", "--model", str(model), "--out", str(root), "--backend", "rtl"]
    assert main([*args, "--to-step", "package"]) == 0
    return root / model.stem


def test_rtl_build_writes_the_accelerator_and_checks_it_in_verilator(rtl_build):
    rtl = rtl_build / "rtl"
    assert not (rtl_build / "hls").exists()  # the build folder holds one backend's code
    manifest = IpManifest.load(rtl)
    assert manifest.extra == {"backend": "rtl", "vlnv": ip_vlnv(manifest.top)}
    top = (rtl / f"{manifest.top}.sv").read_text()
    assert f"module {manifest.top} (" in top
    for source in manifest.all_sources():
        assert (rtl / source).is_file(), source
    accelerator = json.loads((rtl_build / "deploy" / "accelerator.json").read_text())
    # the DMA-facing widths the driver packs for are the top's and the block design's
    assert _port_width(top, "in0_tdata") == 8 * accelerator["input"]["word_bytes"]
    assert manifest.in_width_bits == 8 * accelerator["input"]["word_bytes"]
    outs = accelerator["outputs"]
    assert [w for _, w in manifest.outputs] == [8 * o["word_bytes"] for o in outs]
    for j, out in enumerate(outs):
        assert _port_width(top, f"out{j}_tdata") == 8 * out["word_bytes"]
    package = _tcl_values((rtl / "tcl" / "package_ip.tcl").read_text())
    assert package["top"] == manifest.top and package["part"] == load_board("pynq_z2").part
    assert (
        package["streams"] == "{" + " ".join(["in0", *(f"out{j}" for j in range(len(outs)))]) + "}"
    )
    assert (
        package["masters"]
        == "{" + " ".join(f"m_axi_{w['port']}" for w in accelerator["weights"]) + "}"
    )
    mems = sorted(p.name for p in rtl.glob("*.mem"))
    assert mems and package["memory_files"] == "{" + " ".join(mems) + "}"
    project = _tcl_values((rtl_build / "vivado" / "project.tcl").read_text())
    assert project["ip_repo"] == "../rtl/ip"
    block = (rtl_build / "vivado" / "block_design.tcl").read_text()
    assert f"variable acc_vlnv      {ip_vlnv(manifest.top)}" in block
    assert f"variable acc_in_width  {manifest.in_width_bits}" in block
    record = json.loads((rtl_build / "rtlsim" / "rtlsim.json").read_text())
    assert record["bit_exact"] and record["first_mismatch"] is None
    assert not (rtl_build / "cppsim").exists()  # rtlsim checks the RTL backend
    state = load_state(rtl_build)
    assert state["backend"] == "rtl" and state["steps"]["rtlsim"]["asked"]
    assert not state["steps"]["cppsim"]["asked"]
    recorded = state["outputs"]["codegen"]  # resume trusts rtl/ only while it is unchanged
    assert f"rtl/{manifest.top}.sv" in recorded and not any(p.startswith("hls/") for p in recorded)


def test_the_deploy_package_does_not_know_the_backend(micro_build, rtl_build):
    """Driver, formats, host layers and images are the same; only the build report's copy
    (report/, written by the later report step) says which backend and check ran."""
    _, hls_root = micro_build
    hls = _tree(hls_root / rtl_build.name / "deploy")
    assert "report/report.html" in hls and not (rtl_build / "deploy" / "report").exists()
    assert _tree(rtl_build / "deploy") == {
        k: v for k, v in hls.items() if not k.startswith("report/")
    }


def test_rtl_reruns_are_byte_identical(micro_build, rtl_build, tmp_path):
    model, _ = micro_build
    run_build(micro_config(model, tmp_path, to_step="package", backend="rtl"))
    for folder in ("rtl", "vivado", "deploy"):
        assert _tree(tmp_path / model.stem / folder) == _tree(rtl_build / folder), folder
    assert (tmp_path / model.stem / "deploy.zip").read_bytes() == (
        rtl_build / "deploy.zip"
    ).read_bytes()


def test_switching_the_backend_reruns_codegen_and_after(micro_build, rtl_build, tmp_path):
    model, _ = micro_build
    shutil.copytree(rtl_build, tmp_path / model.stem)
    same = run_build(micro_config(model, tmp_path, to_step="package", backend="rtl"))
    assert same.ran == [] and "codegen" in same.skipped
    hls = run_build(micro_config(model, tmp_path, to_step="codegen"))
    assert hls.ran == ["codegen"] and "fold" in hls.skipped
    assert (tmp_path / model.stem / "hls" / "ip_manifest.json").is_file()
    assert not (tmp_path / model.stem / "rtl").exists()
    assert load_state(tmp_path / model.stem)["backend"] == "hls"
    back = run_build(micro_config(model, tmp_path, to_step="cppsim", backend="rtl"))
    assert back.ran == ["codegen", "cppsim"]  # cppsim passes the model through for rtl


def test_ip_step_without_vivado_names_the_packaging_command(
    micro_build, rtl_build, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("QNNFLOW_VIVADO", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    model, _ = micro_build
    shutil.copytree(rtl_build, tmp_path / model.stem)
    args = ["build", "--model", str(model), "--out", str(tmp_path), "--backend", "rtl"]
    assert main([*args, "--to-step", "ip"]) == 0
    waiting = capsys.readouterr().err
    folder = (tmp_path / model.stem / "rtl").resolve()
    assert f"cd {folder} && vivado -mode batch" in waiting
    assert "-source tcl/package_ip.tcl`" in waiting
    assert "--from-step ip --backend rtl" in waiting
    assert "Traceback" not in waiting and "vitis_hls" not in waiting


def test_rtl_manifest_matches_the_hls_one_with_a_ddr_port(tmp_path):
    """A DDR-streamed layer: same stream widths, weight port, image size and control slave
    as the HLS manifest (what the block design and driver read); the top has the interrupt
    pin the block design wires, and the packaging script the master and its register."""
    model = two_mvu_chain()
    path = tmp_path / "two.onnx"
    model.save(str(path))
    cfg = BuildConfig(model=path, output_root=tmp_path, backend="rtl")
    files, manifest = rtl_files(model, cfg)
    hls = network_manifest(model, build_network_code(model), load_board(cfg.board))
    same = ("in_width_bits", "out_width_bits", "control_bundle", "part", "clock_ns", "top")
    assert {k: getattr(manifest, k) for k in same} == {k: getattr(hls, k) for k in same}
    assert [layer.axi_mm for layer in manifest.layers] == [layer.axi_mm for layer in hls.layers]
    # the image the RTL simulates from (.mem, 64-bit words) is the driver's DDR image
    words = files["L_mvu2_wddr.mem"].split()
    assert b"".join(bytes.fromhex(w)[::-1] for w in words) == files["ddr/L_mvu2_wddr.bin"]
    top = files["qnnflow_accel.sv"]
    assert "output logic interrupt /*" in top and "assign interrupt = 1'b0;" in top
    package = _tcl_values(files["tcl/package_ip.tcl"])
    assert package["masters"] == "{m_axi_L_mvu2_wddr}"
    assert package["control"] == "s_axi_control"
    assert package["registers"] == "{CTRL 0x00 L_mvu2_wddr 0x10}"


def test_sim_backend_is_an_alias_of_the_level(rtl_build, capsys):
    assert [sim_level(None, None), sim_level(None, "rtl"), sim_level(None, "hls")] == [
        "both",
        "rtl",
        "both",
    ]
    assert sim_level("cpp", "hls") == "cpp" and sim_level("python", "rtl") == "python"
    with pytest.raises(QnnflowError, match="--level cpp simulates another backend"):
        sim_level("cpp", "rtl")
    assert main(["sim", str(rtl_build), "--backend", "rtl", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["level"] == "rtl" and printed["bit_exact"]
    assert set(printed["cycles"]) == set(printed["estimates"])
    assert main(["sim", str(rtl_build), "--backend", "hls", "--level", "rtl"]) == 2
