"""Vitis HLS scripts for a generated accelerator: one per layer (its own IP, for per-layer
synthesis reports and early errors) and one for the stitched dataflow top, whose exported
core is the IP the Vivado block design instantiates. Pure: manifest in, {path: text} out."""

from __future__ import annotations

from pathlib import Path

from qnnflow.backends.ip_manifest import IpManifest, LayerIp
from qnnflow.backends.vivado.tcl_template import fill
from qnnflow.resources import hls_dir

TEMPLATE_NAME = "tcl/synth_ip.tcl.in"
VENDOR = "qnnflow.org"
LIBRARY = "hls"
IP_VERSION = "1.0"
STITCHED_SCRIPT = "tcl/stitched.tcl"


def ip_vlnv(ip_name: str) -> str:
    """The vendor:library:name:version under which Vivado finds an exported core."""
    return f"{VENDOR}:{LIBRARY}:{ip_name}:{IP_VERSION}"


def ip_repo_dir(hls_dir: Path, manifest: IpManifest) -> Path:
    """Where `export_design` leaves the stitched top's core: the Vivado IP repository."""
    return Path(hls_dir) / f"prj_{manifest.top}" / "sol1" / "impl" / "ip"


def exported_component(ip_name: str) -> str:
    """The file `export_design` writes last, relative to the HLS folder: proof a script ran."""
    return f"prj_{ip_name}/sol1/impl/ip/component.xml"


def script_outputs(manifest: IpManifest) -> dict[str, str]:
    """{script: the component.xml it must leave}, for the toolchain's `outputs` check."""
    names = [layer.name for layer in manifest.layers] + [manifest.top]
    return dict(zip(script_order(manifest), map(exported_component, names), strict=True))


def layer_script(layer: LayerIp) -> str:
    return f"tcl/layer_{layer.name}.tcl"


def script_order(manifest: IpManifest) -> list[str]:
    """The scripts in the order to run them: every layer, then the stitched top."""
    return [layer_script(layer) for layer in manifest.layers] + [STITCHED_SCRIPT]


def _script(
    manifest: IpManifest,
    ip_name: str,
    top_function: str,
    sources: tuple[str, ...],
    include_dirs: tuple[str, ...],
    has_m_axi: bool,
) -> str:
    return fill(
        hls_dir() / TEMPLATE_NAME,
        {
            "ip_name": ip_name,
            "top_function": top_function,
            "sources": sources,
            "include_dirs": include_dirs,
            "cflags": manifest.cflags,
            "part": manifest.part,
            "clock_ns": float(manifest.clock_ns),
            "has_m_axi": has_m_axi,
            "vendor": VENDOR,
            "ip_version": IP_VERSION,
        },
    )


def render(manifest: IpManifest) -> dict[str, str]:
    """{path relative to the HLS folder: script text} for every layer and the stitched top."""
    files = {
        layer_script(layer): _script(
            manifest,
            layer.name,
            layer.top,
            layer.sources,
            tuple(dict.fromkeys(manifest.include_dirs + layer.include_dirs)),
            layer.axi_mm is not None,
        )
        for layer in manifest.layers
    }
    files[STITCHED_SCRIPT] = _script(
        manifest,
        manifest.top,
        manifest.top,
        manifest.all_sources(),
        manifest.all_include_dirs(),
        bool(manifest.axi_mm_layers),
    )
    return files
