"""End-to-end frame rate: a frame passes host pre, the DMA, the accelerator and host post,
and consecutive frames overlap in those stages, so the rate is set by the slowest stage:

    fps = min(accelerator fps, DMA fps, host fps) = 1000 / max(stage board ms)

Stages and where they run (the board's `ps.cores`; on the PYNQ-Z2 two Cortex-A9s):
  host         the ARM cores, as the driver's `--workers N` mode runs it (N = cores): frames
               are independent, so each worker process does the whole host work of its own
               frames - pre (letterbox, host nodes before the accelerator, pack its input)
               and post (unpack, host nodes after it, region/yolo decode + NMS) - while the
               parent process drives the DMA. Throughput = cores / (pre + post), so the
               stage's time per frame is (pre + post) / cores (with one core, pre + post).
  DMA          the PL's HP0 port: input frame read from DDR, output frame written back
  accelerator  the PL: 1 / the estimate's fps (its slowest layer's cycles at the clock)
Host times are measured here and scaled by the one factor of
`qnnflow.analysis.cpu_reference`; the parent's DMA issue and wait are not counted on the
cores. The model's name is in the result (`host_model`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.cpu_reference import (
    board_factor,
    conv0_board_ms,
    conv0_samples_ms,
    host_cores,
    one_thread,
    typical_ms,
)
from qnnflow.analysis.estimate import NetworkEstimate
from qnnflow.analysis.host_stages import REPEATS, HostTimes, measure_host_stages
from qnnflow.boards import Board
from qnnflow.errors import QnnflowError


@dataclass(frozen=True)
class Stage:
    name: str
    runs_on: str
    board_ms: float
    here_ms: float | None = None  # measured on this machine; None for the PL's stages
    parts: dict[str, float] = field(default_factory=dict)  # board ms of each part
    note: str = ""


@dataclass(frozen=True)
class EndToEnd:
    stages: tuple[Stage, ...]
    factor: float
    conv0_here_ms: float
    conv0_board_ms: float

    @property
    def slowest(self) -> Stage:
        return max(self.stages, key=lambda stage: stage.board_ms)

    @property
    def fps(self) -> float:
        return pipeline_fps([stage.board_ms for stage in self.stages])

    def to_dict(self) -> dict:
        return {
            "fps": self.fps,
            "slowest_stage": self.slowest.name,
            "host_model": HOST_MODEL,
            "factor": self.factor,
            "conv0_here_ms": self.conv0_here_ms,
            "conv0_board_ms": self.conv0_board_ms,
            "stages": [asdict(stage) for stage in self.stages],
        }


def pipeline_fps(stage_ms: list[float]) -> float:
    """Frames per second of overlapping stages: the slowest one sets the rate."""
    if not stage_ms or min(stage_ms) < 0:
        raise QnnflowError(f"a pipeline needs stage times >= 0, got {stage_ms}")
    slowest = max(stage_ms)
    return float("inf") if slowest == 0 else 1e3 / slowest


HOST_MODEL = "workers: host throughput = cores / (pre + post per frame)"


def host_stages(host: HostTimes, factor: float, cores: int) -> list[Stage]:
    """The host stage: pre and post of each frame in one worker process, one per core, so a
    frame costs (pre + post) / cores of the cores' time; parts are each part's board ms for
    one frame (they add up to pre + post)."""
    parts = {**host.pre, **host.post}
    total = sum(parts.values())
    note = f"parts per frame on one core; {cores} frame(s) at once, one per worker process"
    return [
        Stage(
            "host",
            "ARM" if cores < 2 else f"ARM, {cores} worker processes",
            board_ms=total * factor / cores,
            here_ms=total / cores,
            parts={part: ms * factor for part, ms in parts.items()},
            note=note,
        )
    ]


def hp_port_mb_s(board: Board) -> float:
    """One HP port's bandwidth (its width at the PL clock) in MB/s."""
    width = (board.extra.get("hp_ports") or {}).get("width_bits")
    if not isinstance(width, int) or width < 8:
        raise QnnflowError(f"{board.path}: hp_ports.width_bits must be an integer >= 8")
    return width / 8 * board.clock_mhz


def dma_stage(host: HostTimes, board: Board) -> Stage:
    """The frame's DMA transfers: input read and the writes of every output stream share HP0
    (the block design), on its separate AXI read and write channels, and the DDR's usable
    bandwidth."""
    port = hp_port_mb_s(board)
    in_bytes, out_bytes = host.input.frame_bytes, host.out_frame_bytes
    us = max(in_bytes / port, out_bytes / port, (in_bytes + out_bytes) / board.ddr_bandwidth_mb_s)
    note = (
        f"{in_bytes:,} B in + {out_bytes:,} B out per frame, HP0 {port:g} MB/s each way, "
        f"DDR {board.ddr_bandwidth_mb_s:g} MB/s"
    )
    return Stage("DMA", "HP0", board_ms=us / 1e3, note=note)


def accelerator_stage(estimate: NetworkEstimate) -> Stage:
    note = f"{estimate.bottleneck.cycles:,} cycles ({estimate.bottleneck.name}) at "
    return Stage(
        "accelerator", "PL", board_ms=1e3 / estimate.fps, note=f"{note}{estimate.clock_mhz:g} MHz"
    )


def scaled_host(model: ModelWrapper, board: Board, repeats: int) -> tuple[HostTimes, float, float]:
    """The host stages measured here, and the conv0 reference timed in the same run."""
    reference_board = conv0_board_ms(board)  # refused before any timing when missing
    before = conv0_samples_ms(repeats)
    with one_thread():
        host = measure_host_stages(model, repeats)
    here = typical_ms(before + conv0_samples_ms(repeats))
    return host, here, reference_board


def end_to_end_estimate(
    model: ModelWrapper, board: Board, estimate: NetworkEstimate, repeats: int = REPEATS
) -> EndToEnd | None:
    """The pipeline's stages and rate for a folded model; None without hardware layers."""
    if not estimate.layers:
        return None
    host, here, reference = scaled_host(model, board, repeats)
    factor = board_factor(reference, here)
    stages = host_stages(host, factor, host_cores(board))
    stages += [dma_stage(host, board), accelerator_stage(estimate)]
    return EndToEnd(tuple(stages), factor, here, reference)


def require_host_reaches(
    model: ModelWrapper, board: Board, target_fps: float, repeats: int = REPEATS
) -> None:
    """Refuse an end-to-end target that the host stages alone cannot reach, whatever the
    accelerator's folding: a QnnflowError naming the slowest host stage and its board time."""
    host, here, reference = scaled_host(model, board, repeats)
    stages = host_stages(host, board_factor(reference, here), host_cores(board))
    slowest = max(stages, key=lambda stage: stage.board_ms)
    budget_ms = 1e3 / target_fps
    if slowest.board_ms > budget_ms:
        part = max(slowest.parts, key=slowest.parts.__getitem__)
        raise QnnflowError(
            f"end-to-end target {target_fps:g} fps ({budget_ms:.1f} ms per frame) is out of "
            f"reach: the {slowest.name} stage ({slowest.runs_on}) alone takes "
            f"{slowest.board_ms:.1f} ms on {board.name} (slowest part: {part}, "
            f"{slowest.parts[part]:.1f} ms), at most {1e3 / slowest.board_ms:.1f} fps; "
            "lower --target-fps or use --target-scope accelerator"
        )
