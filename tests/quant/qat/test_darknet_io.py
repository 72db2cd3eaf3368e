"""cfg+weights -> torch (float) -> Darknet files: byte-identical, and the model matches the
importer's graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet import import_darknet, load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights
from qnnflow.quant.qat.darknet_io import build_from_darknet, save_darknet
from qnnflow.quant.qat.scheme import QatScheme
from qnnflow.util.execute import run_onnxruntime
from tests.quant.qat.tiny_cfgs import FLOAT_CFG, W1A3_CFG, write_cfg

torch.set_num_threads(1)


@pytest.mark.parametrize("text", [W1A3_CFG, FLOAT_CFG], ids=["relu", "route_shortcut_leaky"])
def test_float_model_matches_importer_and_writes_back(tmp_path, text):
    cfg = write_cfg(tmp_path, text)
    network = load_network(cfg)
    weights = tmp_path / "tiny.weights"
    write_weights(weights, random_weights(network, seed=3), network)
    _, model = build_from_darknet(cfg, weights, QatScheme("float"))
    model.eval()
    x = np.random.default_rng(0).random((1, 3, 16, 16), dtype=np.float32)
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    imported = import_darknet(cfg, weights)
    ref = next(iter(run_onnxruntime(imported, x).values()))
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)

    out_cfg, out_weights = save_darknet(model, cfg, tmp_path / "out", "back")
    assert out_weights.read_bytes() == weights.read_bytes()
    again = run_onnxruntime(import_darknet(out_cfg, out_weights), x)
    np.testing.assert_array_equal(next(iter(again.values())), ref)


def test_w1a3_refuses_leaky_with_line(tmp_path):
    cfg = write_cfg(tmp_path, W1A3_CFG.replace("activation=relu", "activation=leaky", 1))
    with pytest.raises(QnnflowError, match=r"tiny.cfg:6: layer 0 .*leaky.*ReLU"):
        build_from_darknet(cfg, None, QatScheme("w1a3"))
    cfg = write_cfg(tmp_path, FLOAT_CFG.replace("leaky", "relu"))
    with pytest.raises(QnnflowError, match=r"layer 3 \(shortcut.*not supported"):
        build_from_darknet(cfg, None, QatScheme("w1a3"))


def test_hidden_weights_are_darknet_binary(tmp_path):
    cfg = write_cfg(tmp_path, W1A3_CFG)
    _, model = build_from_darknet(cfg, None, QatScheme("w1a3"))
    hidden = [b for b in model.conv_blocks() if b.role == "hidden"]
    assert len(hidden) == 2
    for block in hidden:
        w = block.conv.weight.detach().numpy()
        mean = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)[:, None, None, None]
        expected = np.where(w > 0, mean, -mean)
        got = block.conv.quant_weight().value.detach().numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6)
