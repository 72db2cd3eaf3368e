"""ClassifierRunner: float / QCDQ ONNX by onnxruntime, QONNX by qonnx, batched through
qonnx's batch rewrite only when it reproduces the single-image outputs; FINN's networks
(exported by Brevitas here) score the same as their torch forward."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.quant.evaluate.runner import ClassifierRunner
from qnnflow.quant.evaluate.topk import classify_accuracy
from qnnflow.util.graph_builder import GraphBuilder
from tests.quant.evaluate.tiny_classifiers import SIZE, colour_classifier, save

RNG = np.random.default_rng(3)
X = RNG.random((7, 3, SIZE, SIZE), dtype=np.float32)


@pytest.mark.parametrize(
    ("kind", "executor", "tolerance"),
    [("float", "onnxruntime", 1e-6), ("qcdq", "onnxruntime", 1 / 255), ("qonnx", "qonnx", 1 / 15)],
)
def test_kinds_run_batched_and_equal_batch_one(tmp_path, kind, executor, tolerance):
    runner = ClassifierRunner(save(colour_classifier(kind), tmp_path / "m.onnx"), batch_size=3)
    assert runner.executor_name == executor and runner.input_shape == (1, 3, SIZE, SIZE)
    out = runner(X)  # chunks of 3, 3 and 1
    assert out.shape == (7, 3) and runner.batched
    single = ClassifierRunner(runner.path, batch_size=1)(X)
    np.testing.assert_allclose(out, single, rtol=1e-6, atol=1e-7)  # GEMM order may differ
    np.testing.assert_allclose(out, X.mean(axis=(2, 3)), atol=tolerance)


def test_a_rewrite_that_scrambles_samples_falls_back_to_one_by_one(tmp_path, caplog):
    runner = ClassifierRunner(save(colour_classifier("split_reshape"), tmp_path / "m.onnx"), 4)
    with caplog.at_level(logging.WARNING):
        out = runner(X)
    assert not runner.batched and "running image by image" in caplog.text
    np.testing.assert_allclose(out, X.mean(axis=(2, 3)), atol=1e-6)


def test_wrong_input_shape_and_bad_files(tmp_path):
    runner = ClassifierRunner(save(colour_classifier(), tmp_path / "m.onnx"))
    with pytest.raises(QnnflowError, match=r"inputs of shape \[3, 4, 4\], the model takes"):
        runner(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(QnnflowError, match="model not found"):
        ClassifierRunner(tmp_path / "nope.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    with pytest.raises(QnnflowError, match="junk.onnx: not a readable ONNX model"):
        ClassifierRunner(junk)
    with pytest.raises(QnnflowError, match="batch size must be at least 1"):
        ClassifierRunner(runner.path, batch_size=0)


def test_a_model_that_fails_at_run_time_is_one_line(tmp_path):
    g = GraphBuilder()
    x = g.add_input("image", [1, 3, SIZE, SIZE])
    y = g.node("Reshape", [x, g.const("shape", [5, 7], np.int64)], "bad")
    path = save(ModelWrapper(g.finish([(y, [5, 7])], "bad")), tmp_path / "bad.onnx")
    with pytest.raises(QnnflowError, match="bad.onnx: running the model failed") as caught:
        ClassifierRunner(path, batch_size=2)(X[:3])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("net", "precision"),
    [("tfc", "1w1a"), pytest.param("cnv", "2w2a", marks=pytest.mark.slow)],  # export ~20 s
)
def test_finn_networks_match_their_torch_forward(tmp_path, net, precision):
    torch = pytest.importorskip("torch")
    from tests.finn_networks import export, small_network

    model, shape = small_network(net, precision, seed=1)
    path = export(model, shape, tmp_path / f"{net}.onnx")
    runner = ClassifierRunner(path, batch_size=4)
    assert runner.executor_name == "qonnx" and runner.input_shape == shape
    x = np.random.default_rng(0).random((6, *shape[1:]), dtype=np.float32)

    def forward(batch: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(batch)).numpy()

    out = runner(x)
    assert runner.batched
    np.testing.assert_allclose(out, forward(x), rtol=1e-4, atol=1e-4)
    labels = np.argmax(forward(x), axis=1)
    assert classify_accuracy(runner, x, labels, batch_size=4).top1_correct == 6
