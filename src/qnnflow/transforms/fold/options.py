"""Every legal folding of a group of hardware nodes that must be folded together
(ZeroPad -> SlidingWindow -> MatrixVectorUnit share SIMD), with its cycles and resources."""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.ops import FoldingError
from qnnflow.ops.graph_queries import divisors, hw_nodes, producer_of_type

STREAM_WEIGHTS_MIN_BITS = 64 * 1024  # smaller matrices are never worth a DDR reader


@dataclass
class Option:
    attrs: dict[str, dict]  # node name -> folding attributes
    cycles: int
    resources: dict[str, float]
    ddr_bytes: int


@dataclass
class Group:
    nodes: list[onnx.NodeProto]
    options: list[Option]


def _evaluate(nodes: list, attrs: dict[str, dict]) -> Option | None:
    cycles, ddr, resources = 0, 0, {}
    for node in nodes:
        trial = onnx.NodeProto()
        trial.CopyFrom(node)
        op = getCustomOp(trial)
        for key, value in attrs.get(node.name, {}).items():
            op.set_nodeattr(key, value)
        try:
            op.check_folding()
        except FoldingError:
            return None
        cycles = max(cycles, op.cycles())
        for kind, value in op.resources().items():
            resources[kind] = resources.get(kind, 0.0) + value
        if hasattr(op, "ddr_bytes_per_frame"):
            ddr += op.ddr_bytes_per_frame()
    return Option(attrs, cycles, resources, ddr)


def _mvu_options(
    model: ModelWrapper, mvu, chain: list, streamed: bool, frame_buffered: bool
) -> list[Option]:
    op = getCustomOp(mvu)
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    swg = next((n for n in chain if n.op_type == "SlidingWindow"), None)
    channels = getCustomOp(swg).get_nodeattr("IFMChannels") if swg is not None else mw
    modes = ["stream_ddr" if streamed else "internal"]
    options = []
    for simd in divisors(channels):
        for pe in divisors(mh):
            for mode in modes:
                attrs = {mvu.name: {"PE": pe, "SIMD": simd, "mem_mode": mode}}
                for node in chain:
                    attrs[node.name] = {"SIMD": simd}
                if swg is not None:
                    attrs[swg.name]["frameReplays"] = mh // pe if mode == "stream_ddr" else 1
                    attrs[swg.name]["frameBuffer"] = int(frame_buffered)
                option = _evaluate([*chain, mvu], attrs)
                if option is not None:
                    options.append(option)
    return options


def _single_options(node, key: str, channels: int) -> list[Option]:
    options = [_evaluate([node], {node.name: {key: p}}) for p in divisors(channels)]
    return [o for o in options if o is not None]


def streamable_suffix(model: ModelWrapper) -> list[str]:
    """The longest run of MVUs at the end of the chain that can stream weights (each fed by a
    SlidingWindow and holding at least STREAM_WEIGHTS_MIN_BITS of weights), in order."""
    suffix: list[str] = []
    for node in hw_nodes(model):
        if node.op_type != "MatrixVectorUnit":
            continue
        op = getCustomOp(node)
        bits = op.get_nodeattr("MW") * op.get_nodeattr("MH") * op.weight_dtype().bitwidth()
        fed = producer_of_type(model, node, "SlidingWindow") is not None
        suffix = [*suffix, node.name] if fed and bits >= STREAM_WEIGHTS_MIN_BITS else []
    return suffix


def folding_groups(model: ModelWrapper, streamed: frozenset[str] = frozenset()) -> list[Group]:
    """Group the hardware nodes and enumerate each group's legal foldings; MVUs named in
    `streamed` (a suffix of the MVU chain) stream their weights from DDR."""
    grouped: set[str] = set()
    groups = []
    frame_buffered = False
    for node in hw_nodes(model):
        if node.op_type != "MatrixVectorUnit":
            continue
        frame_buffered = frame_buffered or node.name in streamed
        chain = []
        swg = producer_of_type(model, node, "SlidingWindow")
        if swg is not None:
            pad = producer_of_type(model, swg, "ZeroPad")
            chain = [pad, swg] if pad is not None else [swg]
        grouped.update(n.name for n in [*chain, node])
        options = _mvu_options(model, node, chain, node.name in streamed, frame_buffered)
        groups.append(Group([*chain, node], options))
    for node in hw_nodes(model):
        if node.name in grouped:
            continue
        op = getCustomOp(node)
        if node.op_type in ("StreamingMaxPool", "Thresholding"):
            opts = _single_options(node, "PE", op.get_nodeattr("NumChannels"))
        elif node.op_type == "ZeroPad":
            opts = _single_options(node, "SIMD", op.get_nodeattr("NumChannels"))
        elif node.op_type == "SlidingWindow":
            opts = _single_options(node, "SIMD", op.get_nodeattr("IFMChannels"))
        elif node.op_type == "Upsample":
            opts = _single_options(node, "SIMD", op.get_nodeattr("NumChannels"))
        elif node.op_type == "StreamingConcat":  # one SIMD must divide every input
            opts = _single_options(node, "SIMD", op.gcd_channels())
        elif node.op_type == "DuplicateStreams":
            opts = _single_options(node, "SIMD", op.normal_input_shape()[-1])
        else:  # FIFOs and width converters keep what they have
            opts = [o for o in [_evaluate([node], {})] if o is not None]
        groups.append(Group([node], opts))
    return groups
