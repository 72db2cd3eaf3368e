"""Codegen of the RTL backend (`--backend rtl`): the folded graph rendered to our
SystemVerilog in rtl/ (library kernels, layer wrappers, .mem files, the stitched core and
the DMA-facing top with the HLS top's ports), the DDR weight images, the IP manifest and
Vivado's IP packaging script; vivado/ gets the same project and block-design scripts as the
HLS backend's, pointed at the packaged core (rtl/ip). No Vitis HLS anywhere in the path."""

from __future__ import annotations

import json
import os
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.manifest import ddr_images
from qnnflow.backends.ip_manifest import MANIFEST_NAME, IpManifest
from qnnflow.backends.rtl.manifest import rtl_manifest
from qnnflow.backends.rtl.network import build_rtl_network, render_rtl_network
from qnnflow.backends.rtl.package_tcl import COMPONENT, SCRIPT, ip_vlnv, render_package_tcl
from qnnflow.backends.vivado import project as vivado_project
from qnnflow.boards import load_board
from qnnflow.flow.config import BuildConfig
from qnnflow.util.atomic import atomic_write_text, replace_dir, write_tree

IP_REPO = Path(COMPONENT).parent.as_posix()  # "ip": where package_ip.tcl leaves the core


def rtl_dir(cfg: BuildConfig) -> Path:
    return cfg.output_dir / "rtl"


def rtl_files(model: ModelWrapper, cfg: BuildConfig) -> tuple[dict[str, str | bytes], IpManifest]:
    """({relative path: content} of rtl/, its IP manifest)."""
    board = load_board(cfg.board)
    net = build_rtl_network(model)
    rendered = render_rtl_network(model, net)
    sources = tuple(name for name in rendered if name.endswith(".sv"))
    memories = [name for name in rendered if name.endswith(".mem")]
    manifest = rtl_manifest(model, net, board, sources)
    files: dict[str, str | bytes] = dict(rendered)
    files.update(ddr_images(model))
    files[SCRIPT] = render_package_tcl(
        net.top,
        sources,
        memories,
        board.part,
        len(net.outputs),
        [port.name for port in net.mm_ports],
    )
    files[MANIFEST_NAME] = json.dumps(manifest.to_dict(), indent=2)
    return files, manifest


def write_rtl_sources(model: ModelWrapper, cfg: BuildConfig, vivado: Path, bitstream: Path) -> None:
    """rtl/ (see the module docstring) and the Vivado scripts in `vivado` that build the
    bitstream into `bitstream` from the packaged core."""
    files, manifest = rtl_files(model, cfg)
    replace_dir(rtl_dir(cfg), lambda staging: write_tree(staging, files))
    scripts = vivado_project.render(
        manifest,
        load_board(cfg.board),
        os.path.relpath(rtl_dir(cfg) / IP_REPO, vivado),
        output_dir=os.path.relpath(bitstream, vivado),
        vlnv=ip_vlnv(manifest.top),
    )
    vivado.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        atomic_write_text(vivado / name, text)
