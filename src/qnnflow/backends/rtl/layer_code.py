"""What a hardware op's RTL renderer hands to simulation, synthesis and the stitched top:
the layer's streams, its generated SystemVerilog wrapper, the library kernels it
instantiates and its memory init files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qnnflow.backends.hls.layer_code import StreamSpec
from qnnflow.errors import QnnflowError
from qnnflow.resources import rtl_dir

__all__ = [
    "AXI_READ_SIGNALS",
    "RtlLayerCode",
    "RtlMMPort",
    "StreamSpec",
    "kernel_sources",
    "rtl_identifier",
]

# The AXI4 read master of an MM port p: ports m_axi_<p>_<signal> as (signal, bits, driven by
# the layer); 64-bit data, no IDs (one in-order master).
AXI_READ_SIGNALS = (
    ("araddr", 32, True),
    ("arlen", 8, True),
    ("arsize", 3, True),
    ("arburst", 2, True),
    ("arvalid", 1, True),
    ("arready", 1, False),
    ("rdata", 64, False),
    ("rresp", 2, False),
    ("rlast", 1, False),
    ("rvalid", 1, False),
    ("rready", 1, True),
)


def rtl_identifier(node_name: str) -> str:
    """A node name as a SystemVerilog module name: `L_` keeps it clear of keywords."""
    return "L_" + re.sub(r"[^0-9A-Za-z_]", "_", node_name)


@dataclass(frozen=True)
class RtlMMPort:
    """An AXI4 read master of the layer (DDR-streamed weights): `image_file`, one of the
    layer's files, holds its DDR image as `word_bits`-bit hex words, `depth` of them."""

    name: str
    word_bits: int
    depth: int
    image_file: str


@dataclass(frozen=True)
class RtlLayerCode:
    """Module `name` (the `wrapper` source) with ports ap_clk, ap_rst_n, in<i>_t*, out<j>_t*
    and per MM port p `<p>_base` plus `m_axi_<p>_*`; `kernels` are the rtl/qnnflow files it
    needs (dependencies included), `files` its generated .mem files by name."""

    name: str
    op_type: str
    inputs: tuple[StreamSpec, ...]
    outputs: tuple[StreamSpec, ...]
    wrapper: str
    kernels: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    mm_ports: tuple[RtlMMPort, ...] = ()

    def sources(self) -> dict[str, str]:
        """Every SystemVerilog file of the layer by name: kernels, then the wrapper."""
        texts = kernel_sources(self.kernels)
        texts[f"{self.name}.sv"] = self.wrapper
        return texts


def kernel_sources(kernels: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The library kernels' texts by file name (each once, in the order given)."""
    library = rtl_dir() / "qnnflow"
    texts: dict[str, str] = {}
    for name in kernels:
        path = library / name
        if not path.is_file():
            raise QnnflowError(f"RTL kernel {name} is not in the library ({library})")
        texts.setdefault(name, Path(path).read_text())
    return texts
