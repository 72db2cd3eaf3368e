"""The host's share of a detector (before and after the accelerator) as plain data: an
ordered op list with JSON attributes and an .npz of initializers, run by numpy kernels.

The board has no onnx/qonnx, so the export turns the host nodes into this form and the
driver executes it; an op the kernels do not know is refused with its op type and node name
at load time, not in the middle of a frame. Numpy only: this runs on the board.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.driver.host_ops import KERNELS
from qnnflow.errors import QnnflowError

SCHEMA = 1


@dataclass(frozen=True)
class HostNode:
    op: str
    name: str
    inputs: tuple[str, ...]  # "" marks an omitted optional input
    outputs: tuple[str, ...]
    attrs: dict = field(default_factory=dict)


@dataclass
class HostGraph:
    """`inputs` are fed by the caller, `outputs` are returned; `initializers` are constants."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    nodes: tuple[HostNode, ...]
    initializers: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Every op known and every tensor produced before it is read; else a QnnflowError."""
        known = set(self.inputs) | set(self.initializers)
        for node in self.nodes:
            if node.op not in KERNELS:
                raise QnnflowError(
                    f"{node.op} '{node.name}': not supported by the numpy host executor "
                    f"(supported: {', '.join(sorted(KERNELS))})"
                )
            missing = [t for t in node.inputs if t and t not in known]
            if missing:
                raise QnnflowError(f"{node.op} '{node.name}': input(s) {missing} are never set")
            known.update(node.outputs)
        absent = [t for t in self.outputs if t not in known]
        if absent:
            raise QnnflowError(f"host graph outputs {absent} are not produced by any node")

    @property
    def empty(self) -> bool:
        return not self.nodes

    def run(
        self, feeds: dict[str, np.ndarray], times: dict[str, float] | None = None
    ) -> dict[str, np.ndarray]:
        """Execute the nodes in order; `times` (if given) gets seconds per node name."""
        missing = [t for t in self.inputs if t not in feeds]
        if missing:
            raise QnnflowError(f"host graph needs input(s) {missing}, got {sorted(feeds)}")
        context: dict[str, np.ndarray] = dict(self.initializers)
        context.update({k: np.asarray(v) for k, v in feeds.items()})
        for node in self.nodes:
            began = time.perf_counter()
            args = [context[t] if t else None for t in node.inputs]
            try:
                result = KERNELS[node.op](args, node.attrs)
            except QnnflowError as exc:
                raise QnnflowError(f"{node.op} '{node.name}': {exc}") from None
            except ValueError as exc:  # shape mismatches surface here from numpy
                raise QnnflowError(f"{node.op} '{node.name}': {exc}") from None
            context[node.outputs[0]] = result
            if times is not None:
                times[node.name] = time.perf_counter() - began
        return {t: context[t] for t in self.outputs}

    # ---- files --------------------------------------------------------------------------
    def to_json(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The JSON description and the arrays to store (keys t0, t1, ... map to names)."""
        keys = {name: f"t{i}" for i, name in enumerate(sorted(self.initializers))}
        data = {
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "initializers": keys,
            "nodes": [
                {**asdict(n), "inputs": list(n.inputs), "outputs": list(n.outputs)}
                for n in self.nodes
            ],
        }
        return data, {keys[name]: value for name, value in self.initializers.items()}

    @classmethod
    def from_json(cls, data: dict, arrays: dict[str, np.ndarray]) -> HostGraph:
        try:
            inits = {name: np.asarray(arrays[key]) for name, key in data["initializers"].items()}
            nodes = tuple(
                HostNode(
                    op=n["op"],
                    name=n["name"],
                    inputs=tuple(n["inputs"]),
                    outputs=tuple(n["outputs"]),
                    attrs=dict(n.get("attrs", {})),
                )
                for n in data["nodes"]
            )
            return cls(tuple(data["inputs"]), tuple(data["outputs"]), nodes, inits)
        except KeyError as exc:
            raise QnnflowError(f"host graph description lacks {exc}") from None


def save_host_graphs(graphs: dict[str, HostGraph], json_path: Path, npz_path: Path) -> None:
    """Write several named graphs (e.g. prefix, suffix) into one JSON file and one .npz."""
    described, arrays = {}, {}
    for part, graph in graphs.items():
        data, stored = graph.to_json()
        data["initializers"] = {k: f"{part}_{v}" for k, v in data["initializers"].items()}
        described[part] = data
        arrays.update({f"{part}_{k}": v for k, v in stored.items()})
    json_path.write_text(json.dumps({"schema": SCHEMA, "graphs": described}, indent=1) + "\n")
    np.savez(npz_path, **arrays)


def load_host_graphs(json_path: Path, npz_path: Path) -> dict[str, HostGraph]:
    try:
        described = json.loads(Path(json_path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise QnnflowError(f"cannot read host graph {json_path}: {exc}") from None
    if described.get("schema") != SCHEMA:
        raise QnnflowError(f"{json_path}: schema {described.get('schema')}, expected {SCHEMA}")
    with np.load(npz_path, allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}
    return {part: HostGraph.from_json(d, arrays) for part, d in described["graphs"].items()}
