"""Small IP manifests for the backend tests, and the source tree they point at."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from qnnflow.backends.ip_manifest import AxiMmPort, IpManifest, LayerIp


def layer(name: str, width_in: int, width_out: int, axi_mm: AxiMmPort | None = None) -> LayerIp:
    return LayerIp(
        name=name,
        top=f"{name}_top",
        sources=(f"layers/{name}.cpp",),
        include_dirs=("params",),
        in_width_bits=width_in,
        out_width_bits=width_out,
        axi_mm=axi_mm,
    )


def weight_port(bundle: str, bytes_per_frame: int) -> AxiMmPort:
    return AxiMmPort(
        bundle=bundle,
        data_width_bits=64,
        bytes_per_frame=bytes_per_frame,
        ddr_image=f"weights/{bundle}.bin",
    )


def tiny_manifest(weights: bool = True) -> IpManifest:
    """Three layers, a 24-bit input (needs a DMA width converter), a 16-bit output, and with
    `weights` three DDR weight masters of different load."""
    layers = [layer("conv0", 24, 32), layer("pool0", 32, 32)]
    if weights:
        layers += [
            layer("conv5", 32, 32, weight_port("w5", 300_000)),
            layer("conv6", 32, 32, weight_port("w6", 600_000)),
            layer("conv7", 32, 16, weight_port("w7", 500_000)),
        ]
    else:
        layers.append(layer("conv1", 32, 16))
    return IpManifest(
        part="xc7z020clg400-1",
        clock_ns=10.0,
        top="qnn_top",
        top_sources=("qnn_top.cpp",),
        include_dirs=("lib",),
        layers=tuple(layers),
        in_width_bits=24,
        out_width_bits=16,
    )


def two_output_manifest() -> IpManifest:
    """`tiny_manifest` with a second output stream (a second detector head) of 40 bits, so
    its DMA needs a 64-bit stream and a width converter."""
    return dataclasses.replace(
        tiny_manifest(), extra_out_ports=("out1",), extra_out_width_bits=(40,)
    )


def write_sources(manifest: IpManifest, root: Path) -> None:
    """Empty files and folders where the manifest says the C++ is."""
    for path in manifest.all_sources():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("// stub\n")
    for path in manifest.all_include_dirs():
        (root / path).mkdir(parents=True, exist_ok=True)
