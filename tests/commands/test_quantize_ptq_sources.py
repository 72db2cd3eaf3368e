"""`qnnflow quantize` calibration sources, recovery flags and Darknet input: --calib-dir with
each preprocessing option gives exactly the arrays the preprocessing defines; each recovery
flag changes the exported weights (or biases); a Darknet cfg with --scheme int8 goes through
Brevitas; and the QONNX written through the pipeline executes as the Brevitas module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.quant.ptq import pipeline
from qnnflow.quant.ptq.calib_data import load_calib_dir
from qnnflow.quant.ptq.preprocess import Preprocess
from tests.commands.ptq_cli import (
    CLASSIFIERS,
    make_tiny_files,
    run_quantize,
    tiny_args,
    write_images,
)
from tests.commands.qonnx_quant import bias_quants, weight_quants


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_files(tmp_path_factory.mktemp("tiny"))


class _Stop(Exception):
    pass


@pytest.fixture
def seen(monkeypatch):
    """Record the calibration array and batch size quantize_ptq gets, then stop the run."""
    calls: list = []

    def spy(float_model, options, recovery, data, batch_size):
        calls.append((data, batch_size))
        raise _Stop

    monkeypatch.setattr(pipeline, "quantize_ptq", spy)
    return calls


RESNET = CLASSIFIERS / "small-resnet-shapes.onnx"  # 3 x 32 x 32


@pytest.mark.parametrize(
    ("extra", "pre"),
    [
        ([], {}),
        (
            ["--mean", "0.5,0.4,0.3", "--std", "0.2,0.25,0.3"],
            {"mean": (0.5, 0.4, 0.3), "std": (0.2, 0.25, 0.3)},
        ),
        (["--channels", "bgr"], {"channels": "bgr"}),
        (["--resize", "letterbox"], {"resize": "letterbox"}),
        (["--resize", "center-crop", "--input-size", "32x32"], {"resize": "center-crop"}),
    ],
)
def test_calib_dir_preprocessing_options(extra, pre, seen, tmp_path):
    images = write_images(tmp_path / "images", 5, (48, 40))
    model = tmp_path / RESNET.name  # a copy without its training record: the plain defaults
    model.write_bytes(RESNET.read_bytes())
    args = [model, "--calib-dir", images, "--max-samples", 3, "--batch-size", 2, *extra]
    run = run_quantize(args, tmp_path / "out.onnx")
    assert isinstance(run.exception, _Stop), run.output
    ((data, batch_size),) = seen
    expected = load_calib_dir(images, Preprocess((32, 32), **pre), 3)
    np.testing.assert_array_equal(data, expected)
    assert batch_size == 2 and data.shape == (3, 3, 32, 32)
    if extra:  # each option changes what the model is calibrated on
        assert not np.array_equal(data, load_calib_dir(images, Preprocess((32, 32)), 3))


@pytest.mark.parametrize("given", [True, False], ids=["options", "recorded"])
def test_the_committed_digits_model_with_its_training_preprocessing(given, seen, tmp_path):
    """small-cnn-digits.train.json: gray, 32x32, mean 0.3056, std 0.3242, stretch; read from
    the record beside the model when the options are not given."""
    images = write_images(tmp_path / "images", 4, (20, 24))
    pre = ["--channels", "gray", "--mean", "0.3056", "--std", "0.3242", "--resize", "stretch"]
    pre = [*pre, "--input-size", "32x32"] if given else []
    args = [CLASSIFIERS / "small-cnn-digits.pth", "--model-def", "qnnflow.classify.models:SmallCNN"]
    run = run_quantize([*args, "--calib-dir", images, *pre], tmp_path / "o.onnx")
    assert isinstance(run.exception, _Stop), run.output
    expected = load_calib_dir(images, Preprocess((32, 32), (0.3056,), (0.3242,), "gray"), None)
    np.testing.assert_array_equal(seen[0][0], expected)


RECOVERY = {
    "bias-correction": ["--bias-correction"],
    "equalize-graph": ["--equalize", "graph"],
    "equalize-activation": ["--equalize", "activation"],
    "gptq": ["--gptq"],
    "gpfq": ["--gpfq"],
    "learned-round": ["--learned-round", "--iterations", "3"],
    "fast-finetune": ["--fast-finetune", "--iterations", "3"],
}


@pytest.fixture(scope="module")
def w4a4(tiny, tmp_path_factory):
    return run_quantize(
        tiny_args(tiny, "--scheme", "w4a4"), tmp_path_factory.mktemp("w4") / "w4.onnx"
    )


# the default run keeps two quick ones; every flag runs in the slow suite (~4 s each here)
QUICK = ("bias-correction", "equalize-graph")


@pytest.mark.parametrize(
    "name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in RECOVERY]
)
def test_recovery_flag_changes_the_exported_parameters(name, tiny, w4a4, tmp_path):
    run = run_quantize(tiny_args(tiny, "--scheme", "w4a4", *RECOVERY[name]), tmp_path / "r.onnx")
    assert run.info["recovery"] == [name]
    reads = bias_quants if name == "bias-correction" else weight_quants
    changed = [
        not np.array_equal(got.source, base.source)
        for got, base in zip(reads(run.model), reads(w4a4.model), strict=True)
    ]
    assert any(changed), name


def test_darknet_cfg_with_a_scheme_goes_through_brevitas(tmp_path):
    from qnnflow.frontend.darknet import load_network, write_weights
    from qnnflow.frontend.darknet.random_init import random_weights

    cfg = tmp_path / "mini.cfg"
    conv = (
        "[convolutional]\nbatch_normalize=1\nfilters={f}\nsize=3\nstride=1\npad=1\nactivation={a}\n"
    )
    body = conv.format(f=4, a="relu") + conv.format(f=4, a="relu") + "binary=1\n"
    body += "[convolutional]\nfilters=6\nsize=1\nstride=1\npad=1\nactivation=linear\n"
    cfg.write_text("[net]\nwidth=16\nheight=16\nchannels=3\n" + body)
    network = load_network(cfg, (16, 16))
    write_weights(cfg.with_suffix(".weights"), random_weights(network, seed=1), network)
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).uniform(0, 1, (4, 3, 16, 16)).astype(np.float32))
    run = run_quantize([cfg, "--scheme", "int8", "--calib-data", data], tmp_path / "int8.onnx")
    assert [q.bits for q in weight_quants(run.model)] == [8, 8, 8]
    assert run.info["model"] == str(cfg) and run.info["scheme"] == "w8a8"
    assert not (tmp_path / "int8.quant.json").exists()


def test_pipeline_qonnx_executes_as_the_brevitas_module(tiny, tmp_path):
    from qnnflow.quant.ptq.load import load_float_model
    from qnnflow.quant.ptq.options import PTQOptions

    fm = load_float_model(tiny.onnx)
    data = np.load(tiny.calib)
    options = PTQOptions(weight_bits=4, act_bits=4, output_bits=8)
    result = pipeline.quantize_ptq(fm, options, pipeline.Recovery(), data[:8], 4)
    out = tmp_path / "q.onnx"
    pipeline.write_outputs(result, out, None, {})
    model = ModelWrapper(str(out))
    with torch.no_grad():
        want = result.qmodule(torch.from_numpy(data)).numpy()
    for i in range(len(data)):
        got = execute_onnx(model, {model.graph.input[0].name: data[i : i + 1]})
        np.testing.assert_allclose(
            got[model.graph.output[0].name], want[i : i + 1], rtol=1e-5, atol=1e-6
        )
