"""A hand-built ONNX detector for plain-background, one-object images: it measures the bright
pixels' bounding box and fill ratio with standard ops and writes them into a 1x1 region head.

It gives tests a float model with a high, known-good mAP without any training, so the accuracy
gate can be exercised end to end; `coarse_size_quant` inserts a QONNX Quant node that rounds
the box sizes to quarters of the image, the 'bad quantized model'.
"""

from __future__ import annotations

import json

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.data.shapes import CLASS_NAMES
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.quant.qonnx_nodes import QONNX_DOMAIN, insert_quant_after
from qnnflow.util.graph_builder import GraphBuilder


def shape_detector(size: int) -> ModelWrapper:
    """Region head [1, 9, 1, 1]: tx, ty, tw, th, objectness, 4 class logits (anchor 1x1)."""
    gb = GraphBuilder()
    x = gb.add_input("input", [1, 3, size, size])
    c = lambda name, v: gb.const(name, np.asarray(v, dtype=np.float32))  # noqa: E731
    bright = gb.node("ReduceMax", [x], "bright", axes=[1], keepdims=1)
    mask = gb.node(
        "Cast", [gb.node("Greater", [bright, c("t", 0.2)], "on")], "mask", to=TensorProto.FLOAT
    )
    idx = np.arange(size, dtype=np.float32)
    edges = {}
    for axis, name in ((2, "x"), (3, "y")):  # occupancy of columns (reduce rows) and rows
        occ = gb.node("ReduceMax", [mask], f"occ_{name}", axes=[axis], keepdims=1)
        shape = [1, 1, 1, size] if name == "x" else [1, 1, size, 1]
        hi = gb.node("Mul", [occ, c(f"hi_{name}", ((idx + 1) / size).reshape(shape))], f"h{name}")
        lo = gb.node(
            "Mul", [occ, c(f"lo_{name}", ((size - idx) / size).reshape(shape))], f"l{name}"
        )
        far = gb.node("ReduceMax", [hi], f"far_{name}", axes=[2, 3], keepdims=1)
        near = gb.node(
            "Sub",
            [
                c(f"one_{name}", 1.0),
                gb.node("ReduceMax", [lo], f"m{name}", axes=[2, 3], keepdims=1),
            ],
            name,
        )
        extent = gb.node(
            "Max", [gb.node("Sub", [far, near], f"e{name}"), c(f"z{name}", 1e-3)], f"size_{name}"
        )
        centre = gb.node(
            "Mul", [gb.node("Add", [far, near], f"s{name}"), c(f"h{name}", 0.5)], f"c{name}"
        )
        centre = gb.node(
            "Clip", [centre, c(f"a{name}", 1e-4), c(f"b{name}", 1 - 1e-4)], f"cc{name}"
        )
        logit = gb.node(
            "Log",
            [
                gb.node(
                    "Div",
                    [centre, gb.node("Sub", [c(f"o{name}", 1.0), centre], f"q{name}")],
                    f"r{name}",
                )
            ],
            f"t{name}",
        )
        edges[name] = (logit, extent)
    wh = gb.node("Concat", [edges["x"][1], edges["y"][1]], "wh", axis=1)
    log_wh = gb.node("Log", [wh], "log_wh")
    area = gb.node("ReduceMean", [mask], "area", axes=[2, 3], keepdims=1)
    box_area = gb.node("Mul", [edges["x"][1], edges["y"][1]], "box_area")
    fill = gb.node("Div", [area, box_area], "fill")
    aspect = gb.node("Abs", [gb.node("Sub", [edges["x"][1], edges["y"][1]], "dwh")], "dasp")
    aspect = gb.node("Div", [aspect, gb.node("Max", [edges["x"][1], edges["y"][1]], "mx")], "asp")
    logits = []
    for k, (target_fill, target_aspect) in enumerate(
        ((0.785, 0.0), (0.95, None), (0.5, None), (0.785, 0.45))
    ):
        d = gb.node("Sub", [fill, c(f"f{k}", target_fill)], f"df{k}")
        score = gb.node("Mul", [gb.node("Mul", [d, d], f"d2{k}"), c(f"k{k}", -80.0)], f"sf{k}")
        if target_aspect is not None:
            e = gb.node("Sub", [aspect, c(f"g{k}", target_aspect)], f"da{k}")
            term = gb.node("Mul", [gb.node("Mul", [e, e], f"e2{k}"), c(f"j{k}", -40.0)], f"sa{k}")
            score = gb.node("Add", [score, term], f"s{k}")
        logits.append(score)
    head = gb.node(
        "Concat",
        [edges["x"][0], edges["y"][0], log_wh, c("obj", np.full((1, 1, 1, 1), 4.0)), *logits],
        "head",
        axis=1,
    )
    model = ModelWrapper(gb.finish([(head, [1, 9, 1, 1])], name="shape_detector"))
    heads = [
        {
            "index": 0,
            "type": "region",
            "output": head,
            "shape": [9, 1, 1],
            "anchors": [1.0, 1.0],
            "classes": 4,
            "coords": 4,
            "num": 1,
            "softmax": 1,
            "names": list(CLASS_NAMES),
        }
    ]
    model.set_metadata_prop(HEADS_KEY, json.dumps(heads))
    return model


def _with_qonnx_opset(model: ModelWrapper) -> ModelWrapper:
    if not any(o.domain == QONNX_DOMAIN for o in model.model.opset_import):
        model.model.opset_import.append(helper.make_opsetid(QONNX_DOMAIN, 1))
    return model.transform(InferShapes())


def input_quant(size: int) -> ModelWrapper:
    """A harmless 'quantized' model: 8-bit input quantization (exact for 8-bit images)."""
    model = shape_detector(size)
    insert_quant_after(model, "input", 1.0 / 255.0, 8, signed=False)
    return _with_qonnx_opset(model)


def coarse_size_quant(size: int) -> ModelWrapper:
    """A broken 'quantized' model: box sizes rounded to multiples of 1/4 of the image."""
    model = shape_detector(size)
    insert_quant_after(model, "wh", 0.25, 2, signed=False)
    return _with_qonnx_opset(model)


def plain_dataset(root, size: int, count: int, seed: int = 1):
    """One solid object per image on black, PNG: what `shape_detector` can see."""
    from qnnflow.data.scene import SceneConfig
    from qnnflow.data.writer import generate_dataset

    cfg = SceneConfig(width=size, height=size, max_objects=1, clutter=False, textures=False)
    generate_dataset(root, seed, {"test": count}, cfg, "png")
    return root
