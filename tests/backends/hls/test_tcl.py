"""The Vitis HLS scripts run to the end against the recorded Vitis HLS stub: files and
include folders exist, part and clock come from the manifest, m_axi layers get their
interface configuration, and the stitched IP lands where the Vivado project looks for it."""

from __future__ import annotations

from qnnflow.backends.hls.tcl import (
    STITCHED_SCRIPT,
    ip_repo_dir,
    ip_vlnv,
    render,
    script_order,
    script_outputs,
)
from tests.backends.manifests import tiny_manifest, write_sources
from tests.backends.tcl_stub import run_stub


def _run_all(tmp_path, manifest):
    write_sources(manifest, tmp_path)
    runs = {}
    for name, text in render(manifest).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    for name in script_order(manifest):
        runs[name] = run_stub("vitis_hls_stub.tcl", tmp_path / name, tmp_path)
    return runs


def test_layer_scripts(tmp_path):
    manifest = tiny_manifest()
    runs = _run_all(tmp_path, manifest)
    assert list(runs) == [f"tcl/layer_{layer.name}.tcl" for layer in manifest.layers] + [
        STITCHED_SCRIPT
    ]
    conv0 = runs["tcl/layer_conv0.tcl"]
    assert conv0.returncode == 0, conv0.output
    assert conv0.order() == [
        "open_project",
        "set_top",
        "add_files",
        "open_solution",
        "set_part",
        "create_clock",
        "config_rtl",
        "csynth_design",
        "export_design",
        "exit",
    ]
    ((source, cflags),) = conv0.named("add_files")
    assert source == str(tmp_path / "layers/conv0.cpp")
    assert cflags == f"-I{tmp_path / 'lib'} -I{tmp_path / 'params'} -std=c++14"
    assert conv0.named("set_part") == [["xc7z020clg400-1"]]
    assert conv0.named("create_clock") == [["10.0"]]
    assert conv0.named("export_design")[0][0] == ip_vlnv("conv0")
    conv6 = runs["tcl/layer_conv6.tcl"]
    assert conv6.returncode == 0, conv6.output
    assert conv6.named("config_interface") == [["m_axi_addr64", "false", "m_axi_offset", "slave"]]


def test_stitched_top_exports_into_the_vivado_ip_repo(tmp_path):
    manifest = tiny_manifest()
    run = _run_all(tmp_path, manifest)[STITCHED_SCRIPT]
    assert run.returncode == 0, run.output
    assert run.named("set_top") == [["qnn_top"]]
    added = [call[0] for call in run.named("add_files")]
    assert added == [str(tmp_path / p) for p in manifest.all_sources()]
    vlnv, folder = run.named("export_design")[0]
    assert vlnv == "qnnflow.org:hls:qnn_top:1.0"
    assert (tmp_path / folder).resolve() == ip_repo_dir(tmp_path, manifest).resolve()
    assert (ip_repo_dir(tmp_path, manifest) / "component.xml").is_file()
    for output in script_outputs(manifest).values():  # what the toolchain checks after a run
        assert (tmp_path / output).is_file()


def test_stub_rejects_a_missing_source(tmp_path):
    manifest = tiny_manifest(weights=False)
    runs = _run_all(tmp_path, manifest)
    (tmp_path / "layers/conv1.cpp").unlink()
    run = run_stub("vitis_hls_stub.tcl", tmp_path / STITCHED_SCRIPT, tmp_path)
    assert run.returncode == 1
    assert "add_files: no such file" in run.output
    assert runs["tcl/layer_conv0.tcl"].named("config_interface") == []


def test_stub_rejects_a_misspelt_option(tmp_path):
    manifest = tiny_manifest(weights=False)
    write_sources(manifest, tmp_path)
    text = render(manifest)[STITCHED_SCRIPT].replace("-flow_target", "-flow_targte")
    (tmp_path / "s.tcl").write_text(text)
    run = run_stub("vitis_hls_stub.tcl", tmp_path / "s.tcl", tmp_path)
    assert run.returncode == 1
    assert "unknown option -flow_targte" in run.output
