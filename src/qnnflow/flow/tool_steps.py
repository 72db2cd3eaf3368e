"""Build steps that need the vendor tools: the IP core (Vitis HLS synthesis, or with
--backend rtl Vivado's IP packager on our SystemVerilog) and the bitstream (Vivado).
Without a tool the step stops with one line: the tool, the generated script to run where it
is installed, and the command that resumes the build here."""

from __future__ import annotations

import shutil
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls import tcl as hls_tcl
from qnnflow.backends.ip_manifest import IpManifest
from qnnflow.backends.rtl.package_tcl import COMPONENT, SCRIPT
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.hls_steps import backend_dir, bitstream_dir, hls_dir, vivado_dir
from qnnflow.flow.package_step import deploy_dir, write_readme
from qnnflow.flow.rtl_steps import rtl_dir
from qnnflow.toolchain import find_tool, missing_tool_error, resume_command, run_tcl


def _manifest(cfg: BuildConfig) -> IpManifest:
    folder = backend_dir(cfg)
    if not (folder / "ip_manifest.json").is_file():
        raise QnnflowError(f"{folder}: no ip_manifest.json; run the codegen step first")
    return IpManifest.load(folder)


def _resume(cfg: BuildConfig, step: str) -> str:
    line = resume_command(cfg.board, cfg.model, cfg.output_root, step)
    return line if cfg.backend == "hls" else f"{line} --backend {cfg.backend}"


def tool_invocation(cfg: BuildConfig, step: str) -> tuple[str, str, Path]:
    """A vendor-tool step's tool, its script and the folder it runs in, for this backend."""
    if step == "bitstream":
        return "vivado", "project.tcl", vivado_dir(cfg)
    if cfg.backend == "rtl":
        return "vivado", SCRIPT, rtl_dir(cfg)
    return "vitis_hls", hls_tcl.STITCHED_SCRIPT, hls_dir(cfg)


def next_tool_wait(cfg: BuildConfig, step: str = "ip") -> str | None:
    """What the build will wait for at `step`, as the runner records it (the step's
    ToolNotFound message), or None when its tool is here: for a report written before."""
    tool, script, cwd = tool_invocation(cfg, step)
    if find_tool(tool) is not None:
        return None
    return f"step '{step}': {missing_tool_error(tool, cwd / script, cwd, _resume(cfg, step))}"


def _refresh_report(model: ModelWrapper, cfg: BuildConfig, step: str) -> None:
    """Rewrite the build report after a vendor-tool step, so it says where the build is."""
    from qnnflow.flow.report import refresh_report  # it imports this module

    refresh_report(model, cfg, step)


def package_rtl_ip(cfg: BuildConfig) -> None:
    """The RTL backend's IP step: Vivado packages rtl/'s SystemVerilog as rtl/ip."""
    _manifest(cfg)
    tool, script, cwd = tool_invocation(cfg, "ip")
    run_tcl(tool, script, cwd, outputs=[COMPONENT], resume=_resume(cfg, "ip"))


def step_ip(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """IP: Vitis HLS synthesises the stitched accelerator into an IP core (needs vitis_hls);
    the per-layer scripts run too when the tool is here, for per-layer reports. With
    --backend rtl Vivado packages the SystemVerilog as the core instead (needs vivado)."""
    assert model is not None
    if cfg.backend == "rtl":
        package_rtl_ip(cfg)
        _refresh_report(model, cfg, "ip")
        return model
    manifest = _manifest(cfg)
    outputs = hls_tcl.script_outputs(manifest)
    tool, stitched, cwd = tool_invocation(cfg, "ip")
    run_tcl(tool, stitched, cwd, outputs=[outputs[stitched]], resume=_resume(cfg, "ip"))
    if find_tool("vitis_hls") is not None:
        for script in hls_tcl.script_order(manifest)[:-1]:
            run_tcl("vitis_hls", script, hls_dir(cfg), outputs=[outputs[script]])
    _refresh_report(model, cfg, "ip")
    return model


def step_bitstream(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Bitstream: Vivado builds the PYNQ-Z2 block design, implements it and writes the .bit
    and .hwh (needs vivado); both are copied into deploy/ and the zip is refreshed."""
    assert model is not None
    top = _manifest(cfg).top
    out = bitstream_dir(cfg)
    names = [f"{top}.bit", f"{top}.hwh"]
    tool, script, cwd = tool_invocation(cfg, "bitstream")
    run_tcl(
        tool,
        script,
        cwd,
        outputs=[out / name for name in names],
        resume=_resume(cfg, "bitstream"),
    )
    for name in names:
        shutil.copy2(out / name, deploy_dir(cfg) / name)
    write_readme(cfg)  # now says the bitstream is there
    _refresh_report(model, cfg, "bitstream")  # done; it re-zips deploy/ too
    return model
