"""Network-level estimates from the ops' own formulas: per-layer cycles and resources, the
bottleneck, frames per second and latency at the board clock, DDR traffic, budget use.

A dataflow pipeline's initiation interval is its slowest layer's cycles, so
fps = clock / max(cycles). Latency is bounded by the sum of all layers' cycles (each layer
at worst waits for its producer's whole frame); we report that bound.

Only hardware layers count: the nodes left on the host (ARM) are listed with the reason
they stayed there, never folded into fps or resources, and a graph with no hardware layer
has no fps at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.analysis.host_nodes import host_nodes
from qnnflow.analysis.resource_factors import Factors, corrected
from qnnflow.boards import Board
from qnnflow.ops.graph_queries import hw_nodes, hw_op

RESOURCE_KINDS = ("LUT", "FF", "BRAM36", "LUTRAM", "DSP")
# What the shell around the accelerator takes on a Zynq: PS7 AXI interconnect, DMA, resets.
PLATFORM_OVERHEAD = {"LUT": 4500.0, "FF": 6000.0, "BRAM36": 4.0, "LUTRAM": 300.0, "DSP": 0.0}


@dataclass
class LayerEstimate:
    name: str
    op_type: str
    folding: dict
    cycles: int
    resources: dict[str, float]
    ddr_bytes_per_frame: int


@dataclass
class NetworkEstimate:
    clock_mhz: float
    layers: list[LayerEstimate] = field(default_factory=list)
    host_nodes: list[dict] = field(default_factory=list)  # name, op_type, position, reason

    @property
    def bottleneck(self) -> LayerEstimate:
        return max(self.layers, key=lambda layer: layer.cycles)

    @property
    def fps(self) -> float:
        return self.clock_mhz * 1e6 / self.bottleneck.cycles

    @property
    def latency_ms(self) -> float:
        return sum(layer.cycles for layer in self.layers) / (self.clock_mhz * 1e3)

    @property
    def ddr_mb_per_s(self) -> float:
        return sum(layer.ddr_bytes_per_frame for layer in self.layers) * self.fps / 1e6

    def totals(self, with_platform: bool = True) -> dict[str, float]:
        total = dict(PLATFORM_OVERHEAD) if with_platform else dict.fromkeys(RESOURCE_KINDS, 0.0)
        for layer in self.layers:
            for kind in RESOURCE_KINDS:
                total[kind] += layer.resources.get(kind, 0.0)
        return total

    def utilization(self, board: Board) -> dict[str, float]:
        totals = self.totals()
        return {k: totals[k] / board.resources[k] for k in RESOURCE_KINDS}

    def to_dict(self, board: Board) -> dict:
        if not self.layers:
            return {
                "hardware_layers": 0,
                "fps": None,
                "clock_mhz": self.clock_mhz,
                "host_nodes": self.host_nodes,
            }
        return {
            "hardware_layers": len(self.layers),
            "clock_mhz": self.clock_mhz,
            "fps": self.fps,
            "latency_ms_upper_bound": self.latency_ms,
            "bottleneck": self.bottleneck.name,
            "ddr_mb_per_s": self.ddr_mb_per_s,
            "totals_with_platform": self.totals(),
            "budget": board.resources,
            "utilization": self.utilization(board),
            "layers": [layer.__dict__ for layer in self.layers],
            "host_nodes": self.host_nodes,
        }


def folding_of(op) -> dict:
    """The folding attributes, and where the multipliers went (resType with auto resolved)
    for an op that has multipliers."""
    types = op.get_nodeattr_types()
    keys = ("PE", "SIMD", "mem_mode", "frameBuffer", "frameReplays")
    folding = {k: op.get_nodeattr(k) for k in keys if k in types}
    style = getattr(op, "multiplier_style", None)
    if style is not None and style() != "none":
        folding["resType"] = style()
    return folding


def estimate_network(
    model: ModelWrapper, board: Board, factors: Factors | None = None
) -> NetworkEstimate:
    """The hardware layers' estimates (scaled by synthesis-measured `factors` when given),
    and the host nodes that are not in them."""
    hosted = [asdict(node) for node in host_nodes(model)]
    estimate = NetworkEstimate(clock_mhz=board.clock_mhz, host_nodes=hosted)
    for node in hw_nodes(model):
        op = hw_op(node)
        estimate.layers.append(
            LayerEstimate(
                node.name,
                node.op_type,
                folding_of(op),
                op.cycles(),
                corrected(node.op_type, op.resources(), factors),
                op.ddr_bytes_per_frame(),
            )
        )
    return estimate
