"""The source model's decode records on its quantized export.

A detector's heads (anchors, classes, which output each head reads) and its net record live in
the float graph's metadata; Brevitas' exporters write a fresh graph with renamed outputs, so
without this step `qnnflow detect` and `qnnflow evaluate --task detect` cannot decode a PTQ
model. Each head is pointed at the exported output that replaced its tensor (the outputs keep
the float graph's order; the shapes are checked where the export infers them). The per-layer
record is left behind: it names tensors of the float graph that the export does not have."""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY, LAYERS_KEY

NOT_CARRIED = (LAYERS_KEY,)


def _renamed_heads(model: ModelWrapper, text: str, kind: str) -> str:
    heads = json.loads(text)
    outputs = [o.name for o in model.graph.output]
    if len(heads) != len(outputs):
        raise QnnflowError(
            f"{kind} export: the float model has {len(heads)} detection heads but the export "
            f"has {len(outputs)} outputs ({', '.join(outputs)}); cannot say which head is which"
        )
    renamed = []
    for head, name in zip(heads, outputs, strict=True):
        shape = model.get_tensor_shape(name)
        want = head.get("shape")
        known = shape is not None and all(int(d) > 0 for d in shape)  # QCDQ leaves dims unset
        if want is not None and known and list(shape[1:]) != list(want):
            raise QnnflowError(
                f"{kind} export: output '{name}' has shape {list(shape)}, but head "
                f"'{head['output']}' (layer {head.get('index')}) decodes {[1, *want]}"
            )
        renamed.append({**head, "output": name})
    return json.dumps(renamed)


def carry_metadata(model: ModelWrapper, metadata: dict[str, str], kind: str) -> ModelWrapper:
    """Copy the float model's metadata onto the exported `model` (in place), heads renamed."""
    for key, value in metadata.items():
        if key in NOT_CARRIED:
            continue
        if key == HEADS_KEY and json.loads(value):
            value = _renamed_heads(model, value, kind)
        model.set_metadata_prop(key, value)
    return model
