"""The Vivado script that packages the stitched RTL accelerator as an IP-catalog core with
the HLS top's interfaces (in0/out<j> AXI-Stream, m_axi_<port> AXI4 read masters,
s_axi_control with the driver's register map), so project.tcl and block_design.tcl take it
unchanged. Pure: names in, script text out."""

from __future__ import annotations

from collections.abc import Sequence

from qnnflow.backends.vivado.tcl_template import fill
from qnnflow.errors import QnnflowError
from qnnflow.resources import rtl_dir

TEMPLATE_NAME = "tcl/package_ip.tcl.in"
SCRIPT = "tcl/package_ip.tcl"
VENDOR = "qnnflow.org"
LIBRARY = "rtl"
IP_VERSION = "1.0"
CONTROL = "s_axi_control"
FIRST_ADDRESS_REGISTER = 0x10  # Vitis HLS' first argument register; 8 bytes apart
COMPONENT = "ip/component.xml"  # what the script leaves, relative to the RTL folder


def ip_vlnv(top: str) -> str:
    """The vendor:library:name:version under which Vivado finds the packaged core."""
    return f"{VENDOR}:{LIBRARY}:{top}:{IP_VERSION}"


def control_registers(weight_ports: Sequence[str]) -> list[tuple[str, str]]:
    """[(register, offset)]: CTRL, then one 32-bit DDR address register per weight port."""
    rows = [("CTRL", "0x00")]
    rows += [(p, f"0x{FIRST_ADDRESS_REGISTER + 8 * i:02X}") for i, p in enumerate(weight_ports)]
    return rows


def render_package_tcl(
    top: str,
    sources: Sequence[str],
    memory_files: Sequence[str],
    part: str,
    outputs: int,
    weight_ports: Sequence[str],
) -> str:
    """The packaging script for top module `top` whose files (relative to the RTL folder)
    are `sources` and `memory_files`, with in0, out0..out<outputs-1> and the weight ports."""
    if outputs < 1:
        raise QnnflowError(f"{top}: an accelerator needs at least one output stream")
    registers = [word for row in control_registers(weight_ports) for word in row]
    return fill(
        rtl_dir() / TEMPLATE_NAME,
        {
            "top": top,
            "sources": list(sources),
            "memory_files": list(memory_files),
            "part": part,
            "vendor": VENDOR,
            "library": LIBRARY,
            "ip_version": IP_VERSION,
            "streams": ["in0", *(f"out{j}" for j in range(outputs))],
            "masters": [f"m_axi_{p}" for p in weight_ports],
            "control": CONTROL if weight_ports else "",
            "registers": registers,
        },
    )
