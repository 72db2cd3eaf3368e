"""Which role each layer of an imported Darknet graph plays in the W1A3 scheme.

- A conv whose output feeds a [yolo] or [region] layer is a linear head (a detector may have
  several: YOLOv3-tiny's layers 15 and 22): `first_last_bits` weights, no activation quantizer.
  Without any head layer the last conv is the head.
- The first conv gets `first_last_bits` weights; every other conv binary weights.
- Every non-head conv's output gets an activation quantizer, which needs a monotonic activation
  in front: relu (unsigned codes), leaky or linear (both signs: signed codes).
- Activations joined by a multi-layer [route] (a Concat) must share one scale, so the
  concatenation is of integer codes with one scale: `share_groups` finds them through the
  grid-preserving layers (maxpool, upsample, slice, one-layer route) in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import NET_KEY

HEAD_TYPES = ("yolo", "region")
SIGNED_ACTIVATIONS = ("leaky", "linear")
UNSIGNED_ACTIVATIONS = ("relu",)
# ops between an activation quantizer and a Concat that keep its grid (data on input 0)
GRID_OPS = ("MaxPool", "Resize", "Identity", "Slice", "Pad")


@dataclass(frozen=True)
class ConvRole:
    record: dict
    weights: str  # "first", "binary" or "head"
    signed: bool  # for a quantized activation: codes of both signs (leaky, linear)

    @property
    def quantized_activation(self) -> bool:
        return self.weights != "head"


def cfg_name(model: ModelWrapper) -> str:
    return json.loads(model.get_metadata_prop(NET_KEY) or "{}").get("cfg", "<cfg>")


def conv_roles(model: ModelWrapper, records: list[dict]) -> list[ConvRole]:
    """One ConvRole per convolutional layer, in cfg order; refuses what W1A3 cannot hold."""
    cfg = cfg_name(model)
    convs = [r for r in records if r["type"] == "convolutional"]
    by_output = {r["output"]: r for r in convs}
    heads = {
        by_output[h["output"]]["index"]
        for h in records
        if h["type"] in HEAD_TYPES
        if h["output"] in by_output
    }
    for h in records:
        if h["type"] in HEAD_TYPES and h["output"] not in by_output:
            raise QnnflowError(
                f"{cfg}:{h['line']}: layer {h['index']} ({h['type']}) does not read a conv "
                "output directly; W1A3 keeps only a conv in front of a head linear"
            )
    if not heads and convs:
        heads = {convs[-1]["index"]}
    roles = []
    for position, rec in enumerate(convs):
        if rec["index"] in heads:
            if position == 0:
                raise QnnflowError(
                    f"{cfg}:{rec['line']}: layer {rec['index']} is both the first conv and a "
                    "head; W1A3 needs hidden convs between them"
                )
            roles.append(ConvRole(rec, "head", False))
            continue
        act = rec["activation"]
        if act not in SIGNED_ACTIVATIONS + UNSIGNED_ACTIVATIONS:
            raise QnnflowError(
                f"{cfg}:{rec['line']}: layer {rec['index']} uses activation={act}; W1A3's "
                "activation quantizer follows relu (unsigned codes), leaky or linear (signed "
                "codes) only: activations the streamliner can move into thresholds"
            )
        kind = "first" if position == 0 else "binary"
        roles.append(ConvRole(rec, kind, act in SIGNED_ACTIVATIONS))
    if not any(r.weights == "binary" for r in roles):
        raise QnnflowError("W1A3 needs a first conv, hidden convs and a head conv")
    return roles


def _sources(model: ModelWrapper, tensor: str, acts: set[str], route: dict, cfg: str) -> set[str]:
    """The activation tensors whose grid `tensor` carries (through GRID_OPS and Concats)."""
    if tensor in acts:
        return {tensor}
    node = model.find_producer(tensor)
    if node is not None and node.op_type in GRID_OPS:
        return _sources(model, node.input[0], acts, route, cfg)
    if node is not None and node.op_type == "Concat":
        return set().union(*(_sources(model, t, acts, route, cfg) for t in node.input))
    what = f"{node.op_type} '{node.name}'" if node is not None else f"graph input '{tensor}'"
    raise QnnflowError(
        f"{cfg}:{route['line']}: layer {route['index']} (route) joins {what}, which is not a "
        "quantized activation; W1A3 concatenates integer codes of one scale only"
    )


def share_groups(model: ModelWrapper, records: list[dict], acts: list[str]) -> list[list[str]]:
    """Groups (in `acts` order) of activation tensors that must share a scale, one group per
    set of tensors joined (transitively) by multi-layer routes; singletons included."""
    cfg = cfg_name(model)
    parent = {t: t for t in acts}

    def find(t: str) -> str:
        while parent[t] != t:
            t = parent[t]
        return t

    for rec in records:
        node = model.find_producer(rec["output"]) if rec["type"] == "route" else None
        if node is None or node.op_type != "Concat":
            continue
        joined = sorted(_sources(model, rec["output"], set(acts), rec, cfg), key=acts.index)
        for t in joined[1:]:
            parent[find(t)] = find(joined[0])
    groups: dict[str, list[str]] = {}
    for t in acts:
        groups.setdefault(find(t), []).append(t)
    return list(groups.values())
