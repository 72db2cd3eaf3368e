"""Compare every Darknet layer of an imported model with reference outputs (C, H, W)."""

from __future__ import annotations

import json

import numpy as np

from qnnflow.frontend.darknet import HEADS_KEY, expose_layer_outputs, layer_outputs
from qnnflow.util.execute import max_relative_error, run_onnxruntime
from qnnflow.yolo import region_forward, yolo_forward


def layer_errors(model, image_chw: np.ndarray, expected: list[np.ndarray]) -> dict[int, float]:
    """max |a - b| / max |b| per layer; heads get Darknet's region/yolo activations first."""
    got = run_onnxruntime(expose_layer_outputs(model), image_chw[None])
    heads = {h["index"]: h for h in json.loads(model.get_metadata_prop(HEADS_KEY))}
    errors = {}
    for record, ref in zip(layer_outputs(model), expected, strict=True):
        value = got[record["output"]][0]
        head = heads.get(record["index"])
        if head is not None and head["type"] == "region":
            value = region_forward(
                value[None], head["num"], head["classes"], head["coords"], head["softmax"]
            )[0]
        elif head is not None:
            value = yolo_forward(value[None], head["num"], head["classes"])[0]
        assert value.shape == ref.shape, (record, value.shape, ref.shape)
        errors[record["index"]] = max_relative_error(value, np.asarray(ref, np.float64))
    return errors
