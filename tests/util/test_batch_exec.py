"""Batched execution (qnnflow.util.batch_exec) equals running the images one by one, bit for
bit: the default model in float (onnxruntime) and W1A3 (QONNX, lean executor) on random and
edge inputs over several chunks; graphs that could mix batch entries are not batched, and the
detector then falls back to one image at a time."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.data.evaluate import MAP_NMS, MAP_THRESH
from qnnflow.detector import Detector
from qnnflow.frontend.darknet import import_darknet
from qnnflow.quant.w1a3 import quantize_w1a3
from qnnflow.util.batch_exec import BatchedRunner, batched_model
from qnnflow.util.execute import run_onnxruntime, run_qonnx
from tests.data.shape_detector import shape_detector

SIZE = 64
RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def models(request) -> dict[str, ModelWrapper]:
    cfg = request.config.rootpath / "data" / "models" / "tinier-yolo-mini.cfg"
    float_model = import_darknet(cfg, cfg.with_suffix(".weights"), (SIZE, SIZE))
    calib = [RNG.random((1, 3, SIZE, SIZE), dtype=np.float32) for _ in range(3)]
    return {"float": float_model, "quant": quantize_w1a3(float_model, calib)}


def _inputs() -> np.ndarray:
    """Random images and the edges: black, white, a constant grey, out-of-range values."""
    shape = (3, SIZE, SIZE)
    rows = [RNG.random(shape, dtype=np.float32) for _ in range(4)]
    rows += [np.zeros(shape), np.ones(shape), np.full(shape, 0.5), RNG.normal(0, 50, shape)]
    return np.stack(rows).astype(np.float32)


@pytest.mark.parametrize("kind", ["float", "quant"])
def test_batched_outputs_equal_one_by_one(models, kind):
    model = models[kind]
    x = _inputs()
    run = run_qonnx if kind == "quant" else run_onnxruntime
    single = [run(model, x[i : i + 1]) for i in range(len(x))]
    runner = BatchedRunner(model)
    assert runner.supported() and runner.custom == (kind == "quant")
    runner.chunk = 3  # chunks of 3, 3 and 2: two batched models, one ragged
    batched = list(runner.chunks(x))
    assert [len(next(iter(c.values()))) for c in batched] == [3, 3, 2]
    for name in single[0]:
        whole = np.concatenate([c[name] for c in batched])
        expected = np.concatenate([s[name] for s in single])
        assert whole.dtype == expected.dtype
        np.testing.assert_array_equal(whole, expected)


def _as_tuples(dets: list) -> list:
    return [(d.x, d.y, d.w, d.h, d.objectness, tuple(np.asarray(d.prob).tolist())) for d in dets]


@pytest.mark.parametrize("kind", ["float", "quant"])
def test_detections_many_equal_detections(models, kind):
    detector = Detector(models[kind], ["a", "b", "c", "d"], MAP_THRESH, MAP_NMS)
    images = [RNG.random((h, w, 3), dtype=np.float32) for h, w in ((48, 80), (64, 64), (90, 30))]
    images.append(np.zeros((40, 40, 3), dtype=np.float32))
    many = detector.detections_many(images)
    assert [_as_tuples(d) for d in many] == [_as_tuples(detector.detections(i)) for i in images]
    assert any(many)  # at threshold 0.005 a random image finds something


def _graph(nodes, inputs, output_shape, inits=()) -> ModelWrapper:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)],
        initializer=list(inits),
    )
    return ModelWrapper(helper.make_model(graph))


def test_graphs_that_mix_the_batch_are_not_batched():
    flat = _graph([helper.make_node("Flatten", ["x"], ["y"])], ["x"], [1, 32])
    assert batched_model(flat, 4) is None
    stacked = _graph([helper.make_node("Concat", ["x", "x"], ["y"], axis=0)], ["x"], [2, 2, 4, 4])
    assert batched_model(stacked, 4) is None
    relu = _graph([helper.make_node("Relu", ["x"], ["y"])], ["x"], [1, 2, 4, 4])
    batched = batched_model(relu, 4)
    assert batched is not None and batched.get_tensor_shape("y") == [4, 2, 4, 4]
    assert relu.get_tensor_shape("y") == [1, 2, 4, 4]  # the original is untouched


def test_unbatchable_detector_runs_image_by_image():
    detector = Detector(shape_detector(32), ["a", "b", "c", "d"], MAP_THRESH, MAP_NMS)
    assert not BatchedRunner(detector.model).supported()  # ReduceMax, Greater, Cast...
    images = [RNG.random((32, 32, 3), dtype=np.float32) * 0.1 for _ in range(2)]
    images[1][8:20, 4:12] = 0.9
    many = detector.detections_many(images)
    assert [_as_tuples(d) for d in many] == [_as_tuples(detector.detections(i)) for i in images]
