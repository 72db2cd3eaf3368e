"""The testbench's DDR: one simulation-only AXI4 read slave (rtl/sim/axi_read_slave.sv) per
m_axi port of the design, holding the port's image file at DDR_BASE, with the testbench's
+gap and +seed as its rvalid gaps. Layers and stitched tops attach it the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qnnflow.backends.rtl.layer_code import AXI_READ_SIGNALS, RtlMMPort
from qnnflow.resources import rtl_dir

# Not 4 KiB aligned on purpose: the readers' first burst must stop at the page boundary.
DDR_BASE = 0x1000_0F80
SLAVE_FILE = "axi_read_slave.sv"
DDR_LATENCY = 24  # cycles from a read address to its first beat (the PS DDR's order)


@dataclass(frozen=True)
class DdrAttachment:
    """What render_testbench needs to put the slaves beside the design under test."""

    port_connections: tuple[str, ...]
    declarations: tuple[str, ...]
    sources: dict[str, str]


def _slave(index: int, port: RtlMMPort) -> list[str]:
    wires = [f"m_axi_{port.name}_{signal}" for signal, _, _ in AXI_READ_SIGNALS]
    ports = ", ".join(f".{s}({w})" for (s, _, _), w in zip(AXI_READ_SIGNALS, wires, strict=True))
    return [
        f"  qnnflow_axi_read_slave #(.WORDS({port.depth}), "
        f'.IMAGE_FILE("{port.image_file}"), .BASE(32\'h{DDR_BASE:08x}), '
        f".LATENCY({DDR_LATENCY})) ddr{index} (",
        f"    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .gap(gap), .seed(seed + {index + 1}),",
        f"    {ports}",
        "  );",
    ]


def attach_ddr(mm_ports: Sequence[RtlMMPort]) -> DdrAttachment:
    """Per port p: wires m_axi_p_*, the slave on them, and `<p>_base` tied to DDR_BASE."""
    connections: list[str] = []
    declarations: list[str] = []
    for index, port in enumerate(mm_ports):
        if port.word_bits != 64:
            raise ValueError(f"m_axi port {port.name}: the DDR model serves 64-bit words only")
        connections.append(f".{port.name}_base(32'h{DDR_BASE:08x})")
        for signal, bits, _ in AXI_READ_SIGNALS:
            wire = f"m_axi_{port.name}_{signal}"
            width = f"[{bits - 1}:0] " if bits > 1 else ""
            declarations.append(f"  logic {width}{wire};")
            connections.append(f".{wire}({wire})")
        declarations += _slave(index, port)
    sources = {SLAVE_FILE: (rtl_dir() / "sim" / SLAVE_FILE).read_text()} if mm_ports else {}
    return DdrAttachment(tuple(connections), tuple(declarations), sources)
