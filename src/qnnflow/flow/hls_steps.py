"""Build steps of the HLS backend: write the accelerator's C++ (a portable folder with the
kernel library, IP manifest, DDR weight images and tool scripts), then check it in a g++
simulation against the numpy execution."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls import tcl as hls_tcl
from qnnflow.backends.hls.manifest import ddr_images, network_manifest
from qnnflow.backends.hls.network import build_network_code, hardware_region, render_network
from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.backends.hls.paths import hls_library_dir
from qnnflow.backends.vivado import project as vivado_project
from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.rtl_steps import rtl_dir, write_rtl_sources
from qnnflow.flow.verify_step import seeded_input
from qnnflow.util.atomic import atomic_write_text, replace_dir, write_tree


def hls_dir(cfg: BuildConfig) -> Path:
    return cfg.output_dir / "hls"


def vivado_dir(cfg: BuildConfig) -> Path:
    return cfg.output_dir / "vivado"


def bitstream_dir(cfg: BuildConfig) -> Path:
    return cfg.output_dir / "bitstream"


def _write_hls_folder(staging: Path, files: dict[str, str | bytes]) -> None:
    """The generated files, plus the kernel headers unless the files bring their own."""
    write_tree(staging, files)
    if not (staging / "include").exists():
        shutil.copytree(hls_library_dir() / "qnnflow", staging / "include" / "qnnflow")


def write_hls_sources(model: ModelWrapper, cfg: BuildConfig) -> None:
    """hls/: every layer and the stitched top, include/qnnflow/, ip_manifest.json,
    ddr/*.bin and tcl/*.tcl; vivado/: the project and block-design scripts."""
    board = load_board(cfg.board)
    net = build_network_code(model)
    manifest = network_manifest(model, net, board)
    files: dict[str, str | bytes] = dict(render_network(model, net))
    files.update(ddr_images(model))
    files.update(hls_tcl.render(manifest))
    files["ip_manifest.json"] = json.dumps(manifest.to_dict(), indent=2)
    replace_dir(hls_dir(cfg), lambda staging: _write_hls_folder(staging, files))
    ip_repo = os.path.relpath(hls_tcl.ip_repo_dir(hls_dir(cfg), manifest), vivado_dir(cfg))
    output = os.path.relpath(bitstream_dir(cfg), vivado_dir(cfg))
    scripts = vivado_project.render(manifest, board, ip_repo, output_dir=output)
    vivado_dir(cfg).mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        atomic_write_text(vivado_dir(cfg) / name, text)


def step_codegen(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Codegen: HLS C++ of every layer and the stitched top, IP manifest, DDR weight images,
    Vitis HLS and Vivado scripts (hls/, vivado/); with --backend rtl our SystemVerilog
    instead (rtl/: kernels, layers, stitched top, .mem files, IP manifest, DDR images,
    Vivado's IP packaging script), the Vivado scripts taking its packaged core."""
    assert model is not None
    if cfg.backend == "rtl":
        write_rtl_sources(model, cfg, vivado_dir(cfg), bitstream_dir(cfg))
        stale = hls_dir(cfg)
    else:
        write_hls_sources(model, cfg)
        stale = rtl_dir(cfg)
    if stale.is_dir():  # the other backend's sources: the build folder holds one backend's
        shutil.rmtree(stale)
    return model


def backend_dir(cfg: BuildConfig) -> Path:
    """The folder of the backend's generated sources and IP manifest (hls/ or rtl/)."""
    return rtl_dir(cfg) if cfg.backend == "rtl" else hls_dir(cfg)


def step_cppsim(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """C++ simulation: g++ build of the generated code, bit-exact per layer vs numpy, and
    simulated cycles per layer beside the estimates (with --backend hls; the RTL backend's
    check is the rtlsim step)."""
    assert model is not None
    if cfg.backend != "hls":
        return model
    x = seeded_input(model, cfg.seed)
    mismatch, sim = first_mismatch(model, x)  # binaries cached by source hash (gpp)
    layers = []
    for node in hardware_region(model):
        estimate = getCustomOp(node).cycles()
        simulated = sim.cycles[node.name]
        layers.append(
            {
                "layer": node.name,
                "op": node.op_type,
                "cycles_sim": simulated,
                "cycles_estimate": estimate,
                "difference": simulated - estimate,
            }
        )
    report = {
        "bit_exact": mismatch is None,
        "first_mismatch": None if mismatch is None else str(mismatch),
        "seconds_per_frame": sim.seconds,
        "layers": layers,
    }
    atomic_write_text(cfg.output_dir / "cppsim" / "cppsim.json", json.dumps(report, indent=2))
    if mismatch is not None:
        raise QnnflowError(f"C++ simulation differs from numpy: {mismatch}")
    return model
