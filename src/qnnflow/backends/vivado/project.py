"""Render a board's `project.tcl` and `block_design.tcl` for an accelerator: every choice
the Tcl makes (DMA stream widths, which HP port each weight master uses, addresses) is
computed here, in Python, where it is tested; the templates only carry it out."""

from __future__ import annotations

from pathlib import Path

from qnnflow.backends.hls.tcl import ip_vlnv
from qnnflow.backends.ip_manifest import IpManifest, IpManifestError
from qnnflow.backends.vivado.tcl_template import fill
from qnnflow.boards.board import Board
from qnnflow.errors import QnnflowError

# The IP cores the block design uses, at the versions Vivado 2023.2 (and 2024.1) ship.
VLNV = {
    "ps7": "xilinx.com:ip:processing_system7:5.5",
    "axi_dma": "xilinx.com:ip:axi_dma:7.1",
    "smartconnect": "xilinx.com:ip:smartconnect:1.0",
    "proc_sys_reset": "xilinx.com:ip:proc_sys_reset:5.0",
    "axis_dwidth_converter": "xilinx.com:ip:axis_dwidth_converter:1.1",
    "xlconcat": "xilinx.com:ip:xlconcat:2.1",
}
DMA_STREAM_WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
DMA_LENGTH_BITS = 26  # the DMA's transfer-length register: up to 64 MiB per transfer
SCRIPTS = ("project.tcl", "block_design.tcl")
DMA_WINDOW = 0x10000  # each extra output DMA's registers follow the first DMA's 64 KiB


def output_dma_name(index: int) -> str:
    """The DMA cell receiving output stream `index`: the first shares `dma` with the input,
    every further one has its own S2MM-only DMA (qnnflow.driver.pynq_backend reads these)."""
    return "dma" if index == 0 else f"dma_out{index}"


def extra_outputs(manifest: IpManifest, dma_base: int) -> list[list]:
    """[[accelerator port, its width, DMA stream width, DMA cell, register base]] for every
    output after the first."""
    rows = []
    for i, (port, width) in enumerate(manifest.outputs[1:], start=1):
        base = f"0x{dma_base + i * DMA_WINDOW:08X}"
        rows.append([port, width, dma_stream_width(width), output_dma_name(i), base])
    return rows


def dma_stream_width(bits: int) -> int:
    """The narrowest AXI DMA stream width that holds a `bits`-wide beat; a width converter
    repacks the bytes when the two differ (the host sees a plain byte stream)."""
    for width in DMA_STREAM_WIDTHS:
        if width >= bits:
            return width
    raise QnnflowError(f"a {bits}-bit stream is wider than the AXI DMA's 1024 bits")


def assign_weight_ports(manifest: IpManifest, hp_count: int) -> dict[int, list[str]]:
    """{HP port: m_axi interfaces}. HP0 carries the DMA; weight masters go to HP1.. with the
    heaviest (bytes per frame) first onto the least loaded port, so DDR reads spread out."""
    ports = list(range(1, hp_count))
    masters = sorted(
        (layer.axi_mm for layer in manifest.axi_mm_layers if layer.axi_mm is not None),
        key=lambda port: -port.bytes_per_frame,
    )
    if masters and not ports:
        raise QnnflowError("the board has no HP port left for the weight-streaming layers")
    load = {hp: 0 for hp in ports}
    assigned: dict[int, list[str]] = {}
    for port in masters:
        hp = min(ports, key=lambda p: (load[p], p))
        load[hp] += port.bytes_per_frame
        assigned.setdefault(hp, []).append(port.interface)
    return dict(sorted(assigned.items()))


def _board_field(board: Board, *keys: str) -> object:
    value: object = board.extra
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise QnnflowError(f"{board.path}: missing field {'.'.join(keys)}")
        value = value[key]
    return value


def _check_consistent(manifest: IpManifest, board: Board) -> float:
    if manifest.part != board.part:
        raise IpManifestError(
            f"part: the IP was built for {manifest.part}, the board {board.name} is {board.part}"
        )
    fclk_mhz = float(_board_field(board, "clocks", "fclk0_mhz"))  # type: ignore[arg-type]
    if fclk_mhz != board.clock_mhz:
        raise QnnflowError(
            f"{board.path}: clocks.fclk0_mhz {fclk_mhz} differs from clock_mhz {board.clock_mhz}"
        )
    if manifest.clock_ns > 1000.0 / fclk_mhz + 1e-9:
        raise IpManifestError(
            f"clock_ns: the IP was synthesised for {manifest.clock_ns} ns "
            f"but FCLK_CLK0 runs at {fclk_mhz} MHz"
        )
    if not manifest.output_tlast:
        raise IpManifestError(
            "output_tlast: the AXI DMA's S2MM channel ends a transfer only "
            "on TLAST; the stitched top's output stream must assert it"
        )
    return fclk_mhz


def render(
    manifest: IpManifest,
    board: Board,
    ip_repo: str | Path,
    *,
    output_dir: str | Path = "output",
    output_name: str | None = None,
    project_name: str = "qnnflow_prj",
    design_name: str = "qnnflow_bd",
    jobs: int = 2,
    vlnv: str | None = None,
) -> dict[str, str]:
    """{file name: text} of the two scripts. `ip_repo` and `output_dir` are absolute or
    relative to the folder the scripts are written to; `vlnv` is the accelerator core's
    (default: the Vitis HLS export's, backends/hls/tcl.ip_vlnv; the RTL backend passes its
    packaged core's)."""
    fclk_mhz = _check_consistent(manifest, board)
    hp_width = int(_board_field(board, "hp_ports", "width_bits"))  # type: ignore[arg-type]
    hp_count = int(_board_field(board, "hp_ports", "count"))  # type: ignore[arg-type]
    addresses = _board_field(board, "address_map")
    fallback = _board_field(board, "ps7", "fallback_config")
    assert isinstance(addresses, dict) and isinstance(fallback, dict)
    dma_in = dma_stream_width(manifest.in_width_bits)
    dma_out = dma_stream_width(manifest.out_width_bits)
    extra = extra_outputs(manifest, int(addresses["dma"]))
    widest = max([dma_in, dma_out, *(row[2] for row in extra)])
    templates = board.path.parent
    block_design = fill(
        templates / "block_design.tcl.in",
        {
            "acc_vlnv": vlnv or ip_vlnv(manifest.top),
            "acc_in": manifest.in_port,
            "acc_out": manifest.out_port,
            "acc_control": manifest.control_interface or "",
            "acc_in_width": manifest.in_width_bits,
            "acc_out_width": manifest.out_width_bits,
            "dma_in_width": dma_in,
            "dma_out_width": dma_out,
            "dma_mm_width": max(hp_width, widest),
            "extra_outs": extra,
            "dma_length_bits": DMA_LENGTH_BITS,
            "weight_hp": assign_weight_ports(manifest, hp_count),
            "hp_width": hp_width,
            "fclk_mhz": fclk_mhz,
            "ps7_fallback": {str(k): str(v) for k, v in fallback.items()},
            "dma_base": f"0x{int(addresses['dma']):08X}",
            "acc_base": f"0x{int(addresses['accelerator']):08X}",
            "vlnv": VLNV,
        },
    )
    project = fill(
        templates / "project.tcl.in",
        {
            "project_name": project_name,
            "design_name": design_name,
            "part": board.part,
            "board_part": str(_board_field(board, "board_part")),
            "ip_repo": Path(ip_repo).as_posix(),
            "output_dir": Path(output_dir).as_posix(),
            "output_name": output_name or manifest.top,
            "jobs": jobs,
        },
    )
    return {"project.tcl": project, "block_design.tcl": block_design}
