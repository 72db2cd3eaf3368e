"""The IP manifest of a generated accelerator (the contract with the Vitis HLS and Vivado
scripts): which files make which IP, its stream widths as the DMA sees them, and the DDR
weight image behind every weight-streaming port."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.network import (
    TOP_IN,
    NetworkCode,
    axi_width,
    hardware_region,
    top_out_port,
)
from qnnflow.backends.hls.params import DDR_WORD_BITS, ddr_weight_images
from qnnflow.backends.ip_manifest import AxiMmPort, IpManifest, LayerIp
from qnnflow.boards import Board

INCLUDE_DIRS = ("include", ".")
DDR_DIR = "ddr"


def ddr_images(model: ModelWrapper) -> dict[str, bytes]:
    """{ddr/<port>.bin: bytes} of every weight-streaming layer of the hardware region."""
    images = {}
    for node in hardware_region(model):
        for port, image in ddr_weight_images(model, node).items():
            images[f"{DDR_DIR}/{port}.bin"] = image.tobytes()
    return images


def network_manifest(model: ModelWrapper, net: NetworkCode, board: Board) -> IpManifest:
    """The manifest of `net` for `board` (paths relative to the HLS output folder)."""
    images = ddr_images(model)
    layers = []
    for code in net.layers:
        axi_mm = None
        if code.mm_ports:
            port = code.mm_ports[0]
            path = f"{DDR_DIR}/{port.name}.bin"
            axi_mm = AxiMmPort(port.name, DDR_WORD_BITS, len(images[path]), path)
        layers.append(
            LayerIp(
                name=code.name,
                top=code.name,
                sources=(f"{code.name}.cpp",),
                include_dirs=INCLUDE_DIRS,
                in_width_bits=axi_width(code.inputs[0].width),
                out_width_bits=axi_width(code.output.width),
                axi_mm=axi_mm,
            )
        )
    widths = [axi_width(net.streams[t].width) for t in net.output_tensors]
    return IpManifest(
        part=board.part,
        clock_ns=round(1000.0 / board.clock_mhz, 3),
        top=net.top,
        top_sources=(f"{net.top}.cpp",),
        layers=tuple(layers),
        in_width_bits=axi_width(net.streams[net.input_tensor].width),
        out_width_bits=widths[0],
        include_dirs=INCLUDE_DIRS,
        in_port=TOP_IN,
        out_port=top_out_port(0),
        extra_out_ports=tuple(top_out_port(i) for i in range(1, len(widths))),
        extra_out_width_bits=tuple(widths[1:]),
        control_bundle="control" if net.mm_ports else None,
        output_tlast=True,
    )
