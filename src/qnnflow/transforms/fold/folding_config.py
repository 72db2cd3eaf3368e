"""Folding configs as JSON: `{node name: {"PE": 4, "SIMD": 8, "mem_mode": ..., ...}}`,
extracted from a folded graph, edited by hand, and re-applied with full legality checks."""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.errors import QnnflowError
from qnnflow.ops.graph_queries import hw_nodes, hw_op
from qnnflow.ops.stream_order import sync_passthrough_replays
from qnnflow.transforms.fold.dag import check_join_streams
from qnnflow.transforms.fold.fit_group_major_words import FitGroupMajorWords


def extract_folding_config(model: ModelWrapper) -> dict[str, dict]:
    """The folding of the compute layers, re-appliable with ApplyFoldingConfig (--folding).
    Stream-moving ops (FIFOs, width converters) are left out: they are inserted after
    folding, so a config naming them could not be re-applied to the fold step's input."""
    config = {}
    for node in hw_nodes(model):
        op = hw_op(node)
        if op.PLUMBING:
            continue
        entry = {a: op.get_nodeattr(a) for a in op.FOLD_ATTRS}
        if entry:
            config[node.name] = entry
    return config


def sync_frame_replays(model: ModelWrapper) -> None:
    """Each op sets what its folding implies on its partners (`HWOp.apply_plan`: a
    SlidingWindow in front of a stream_ddr MVU replays a frame buffer MH/PE times, and a
    SlidingWindow a channel-group-major stream reaches buffers the frame to restore normal
    order); then FIFOs and width converters learn their frame copies, and every join is
    checked to get the same copies in normal order on all its inputs."""
    for node in hw_nodes(model):  # topological order
        hw_op(node).apply_plan(model)
    sync_passthrough_replays(model)
    check_join_streams(model)


def check_all_folding(model: ModelWrapper) -> None:
    for node in hw_nodes(model):
        hw_op(node).check_folding()


def check_config_shape(config: object, source: str) -> dict[str, dict]:
    """A config is an object of objects: {node name: {attribute: value}}."""
    if not isinstance(config, dict):
        raise QnnflowError(
            f"{source} must be a JSON object {{node name: {{attribute: value}}}}, "
            f"got a {type(config).__name__}"
        )
    for name, attrs in config.items():
        if not isinstance(attrs, dict):
            raise QnnflowError(
                f"{source}: '{name}' must map to an object of attributes, "
                f"got a {type(attrs).__name__}"
            )
    return config


def check_value_type(kind: str, value: object, name: str, attr: str, source: str) -> None:
    """Integer attributes take JSON integers only (true/false and 4.0 are refused: Python
    counts bools as ints), string attributes JSON strings."""
    if kind == "i" and (isinstance(value, bool) or not isinstance(value, int)):
        raise QnnflowError(f"{source}: '{name}'.{attr} must be an integer, got {value!r}")
    if kind == "s" and not isinstance(value, str):
        raise QnnflowError(f"{source}: '{name}'.{attr} must be a string, got {value!r}")


FIFO_DEPTHS = "fifo_depths"  # the config's entry of FIFO depths, InsertFIFOs(depths=...)


def split_fifo_depths(config: dict) -> tuple[dict, dict[str, int]]:
    """(the per-node folding, the FIFO depths) of a folding config."""
    rest = {k: v for k, v in config.items() if k != FIFO_DEPTHS}
    return rest, dict(config.get(FIFO_DEPTHS) or {})


def read_folding_config(config: dict | str | Path) -> tuple[dict, str]:
    """A folding config (a dict, or a JSON file's path) and how errors name it."""
    source = "folding config"
    if isinstance(config, (str, Path)):
        source = f"{config}: folding config"
        try:
            config = json.loads(Path(config).read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise QnnflowError(f"{config}: cannot read folding config: {exc}") from None
    return check_config_shape(config, source), source


class ApplyFoldingConfig(Transformation):
    """Set PE/SIMD/memory attributes per node from a config (dict or JSON file path); every
    name and attribute must exist, and the resulting folding must be legal."""

    def __init__(self, config: dict | str | Path, source: str | None = None):
        super().__init__()
        config, self.source = read_folding_config(config)
        self.source = source or self.source
        self.config = split_fifo_depths(config)[0]  # FIFOs come later (InsertFIFOs)

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        nodes = {n.name: n for n in hw_nodes(model)}
        for name, attrs in self.config.items():
            if name not in nodes:
                known = ", ".join(sorted(nodes)) or "none"
                raise QnnflowError(
                    f"{self.source} names '{name}', which is not a hardware "
                    f"node of this graph (hardware nodes: {known})"
                )
            op = hw_op(nodes[name])
            for attr, value in attrs.items():
                if attr not in op.FOLD_ATTRS:
                    raise QnnflowError(
                        f"{self.source}: {nodes[name].op_type} '{name}' has no "
                        f"folding attribute '{attr}'"
                    )
                check_value_type(op.get_nodeattr_types()[attr][0], value, name, attr, self.source)
                try:
                    op.set_nodeattr(attr, value)
                except Exception as exc:  # qonnx raises for values outside the allowed set
                    raise QnnflowError(f"{self.source}: '{name}'.{attr}={value!r}: {exc}") from None
        sync_frame_replays(model)
        model = model.transform(FitGroupMajorWords())
        check_all_folding(model)
        return model, False
