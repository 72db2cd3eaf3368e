"""A PTQ detector's export keeps the float model's decode records: head records point at the
exported outputs (in order, shapes checked), the net record travels, and the layer record
(float tensor names) does not; QONNX and QCDQ alike, so `detect`/`evaluate` decode them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.detector import Detector
from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import HEADS_KEY, LAYERS_KEY, NET_KEY, load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.quant.ptq.carry_metadata import carry_metadata
from qnnflow.quant.ptq.export import export_qcdq, export_qonnx
from qnnflow.quant.ptq.load import load_float_model
from qnnflow.quant.ptq.options import PTQOptions
from qnnflow.quant.ptq.pipeline import Recovery, quantize_ptq

CFGS = Path(__file__).parents[2] / "frontend" / "darknet" / "cfgs"


def _graph(shapes: dict[str, list[int]]) -> ModelWrapper:
    """x -> Identity -> each named output (shapes as given)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    nodes = [helper.make_node("Identity", ["x"], [name]) for name in shapes]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in shapes.items()]
    return ModelWrapper(helper.make_model(helper.make_graph(nodes, "g", [x], outs)))


def _heads(*shapes: list[int]) -> str:
    return json.dumps(
        [
            {"index": 10 + k, "type": "yolo", "output": f"l{k:03d}", "shape": s, "classes": 3}
            for k, s in enumerate(shapes)
        ]
    )


def test_heads_follow_the_exported_outputs_in_order():
    model = _graph({"out0": [1, 24, 4, 4], "out1": [1, 24, 8, 8]})
    meta = {HEADS_KEY: _heads([24, 4, 4], [24, 8, 8]), NET_KEY: '{"width": 64}', LAYERS_KEY: "[]"}
    carry_metadata(model, meta, "QONNX")
    heads = json.loads(model.get_metadata_prop(HEADS_KEY))
    assert [h["output"] for h in heads] == ["out0", "out1"]
    assert [h["index"] for h in heads] == [10, 11] and heads[1]["classes"] == 3
    assert model.get_metadata_prop(NET_KEY) == '{"width": 64}'
    assert model.get_metadata_prop(LAYERS_KEY) is None


def test_a_head_whose_output_shape_differs_is_refused():
    model = _graph({"out0": [1, 24, 8, 8], "out1": [1, 24, 4, 4]})  # swapped
    with pytest.raises(QnnflowError, match="'out0' has shape \\[1, 24, 8, 8\\].*'l000'"):
        carry_metadata(model, {HEADS_KEY: _heads([24, 4, 4], [24, 8, 8])}, "QONNX")


def test_a_head_count_that_differs_from_the_outputs_is_refused():
    model = _graph({"out0": [1, 24, 4, 4]})
    with pytest.raises(QnnflowError, match="QCDQ export: .*2 detection heads.*1 outputs"):
        carry_metadata(model, {HEADS_KEY: _heads([24, 4, 4], [24, 8, 8])}, "QCDQ")


def test_no_heads_leaves_the_outputs_alone():
    model = _graph({"logits": [1, 10]})
    carry_metadata(model, {HEADS_KEY: "[]", "producer_note": "kept"}, "QONNX")
    assert model.get_metadata_prop(HEADS_KEY) == "[]"
    assert model.get_metadata_prop("producer_note") == "kept"


def test_int8_ptq_of_a_two_head_darknet_model_decodes(tmp_path):
    """YOLOv3-tiny (random weights, 64x96): both exports name their own outputs as heads and
    the detector decodes the QONNX like the float import."""
    size = (64, 96)
    cfg = CFGS / "yolov3-tiny.cfg"
    network = load_network(cfg, size)
    weights = tmp_path / "w.weights"
    write_weights(weights, random_weights(network, seed=3), network)
    fm = load_float_model(cfg, weights=weights, input_size=size)
    data = np.random.default_rng(0).uniform(0, 1, (4, *fm.input_shape[1:])).astype(np.float32)
    result = quantize_ptq(fm, PTQOptions(output_bits=None), Recovery(), data, 4)
    float_heads = json.loads(fm.metadata[HEADS_KEY])
    for export in (export_qonnx, export_qcdq):
        model = export(
            result.qmodule, fm.input_shape, tmp_path / f"{export.__name__}.onnx", result.metadata
        )
        heads = json.loads(model.get_metadata_prop(HEADS_KEY))
        assert [h["output"] for h in heads] == [o.name for o in model.graph.output]
        assert [{**h, "output": None} for h in heads] == [
            {**h, "output": None} for h in float_heads
        ]
        assert model.get_metadata_prop(NET_KEY) == fm.metadata[NET_KEY]
        assert model.get_metadata_prop(LAYERS_KEY) is None
    qonnx = ModelWrapper(str(tmp_path / "export_qonnx.onnx"))
    image = np.random.default_rng(1).uniform(0, 1, (48, 80, 3)).astype(np.float32)
    detector = Detector(qonnx, names=[str(k) for k in range(float_heads[0]["classes"])], thresh=0.0)
    assert len(detector.detections(image)) > 0  # both heads found and decoded
