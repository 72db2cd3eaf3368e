"""The IP manifest of the stitched RTL accelerator: the same contract (backends/ip_manifest)
the HLS backend writes, so the Vivado project scripts and the ip/bitstream steps read one
format whichever backend made the core; `extra` names the backend and the packaged core's
vlnv (Vivado's IP packager, rtl/tcl/package_ip.tcl, makes it from the SystemVerilog)."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.manifest import DDR_DIR, ddr_images
from qnnflow.backends.hls.network import TOP_IN, axi_width, top_out_port
from qnnflow.backends.ip_manifest import AxiMmPort, IpManifest, LayerIp
from qnnflow.backends.rtl.network import RtlNetworkCode
from qnnflow.backends.rtl.package_tcl import ip_vlnv
from qnnflow.boards import Board

BACKEND = "rtl"


def rtl_manifest(
    model: ModelWrapper, net: RtlNetworkCode, board: Board, sources: tuple[str, ...]
) -> IpManifest:
    """The manifest of `net` for `board`; `sources` are the top's .sv files (relative to the
    RTL folder), the DDR images those of the HLS backend (backends/hls/manifest)."""
    images = ddr_images(model)
    layers = []
    for code in net.layers:
        axi_mm = None
        if code.mm_ports:
            port = code.mm_ports[0]
            path = f"{DDR_DIR}/{port.name}.bin"
            axi_mm = AxiMmPort(port.name, port.word_bits, len(images[path]), path)
        layers.append(
            LayerIp(
                name=code.name,
                top=code.name,
                sources=(f"{code.name}.sv",),
                include_dirs=(),
                in_width_bits=axi_width(code.inputs[0].width),
                out_width_bits=axi_width(code.outputs[0].width),
                axi_mm=axi_mm,
            )
        )
    widths = [axi_width(spec.width) for spec in net.outputs]
    return IpManifest(
        part=board.part,
        clock_ns=round(1000.0 / board.clock_mhz, 3),
        top=net.top,
        top_sources=sources,
        layers=tuple(layers),
        in_width_bits=axi_width(net.inputs[0].width),
        out_width_bits=widths[0],
        in_port=TOP_IN,
        out_port=top_out_port(0),
        extra_out_ports=tuple(top_out_port(i) for i in range(1, len(widths))),
        extra_out_width_bits=tuple(widths[1:]),
        control_bundle="control" if net.mm_ports else None,
        output_tlast=True,
        cflags=(),
        extra={"backend": BACKEND, "vlnv": ip_vlnv(net.top)},
    )
