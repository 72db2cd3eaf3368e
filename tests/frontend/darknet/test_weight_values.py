"""Non-finite or impossible Darknet parameters are refused at import: NaN/Inf in any array and
negative rolling variances give one line naming the weights file, layer index and cfg line,
exit code 2 and no output file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnnflow.cli import main
from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet import load_network, read_weights, write_weights
from qnnflow.frontend.darknet.weights import check_weight_values

pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


def _corrupted(default_cfg: Path, tmp_path: Path, layer: int, array: str, value: float) -> Path:
    network = load_network(default_cfg)
    weights = read_weights(default_cfg.with_suffix(".weights"), network)
    values = getattr(weights.layers[layer], array)
    values.flat[3] = value
    path = tmp_path / "bad.weights"
    write_weights(path, weights, network)
    return path


def test_the_default_weights_pass(default_cfg):
    network = load_network(default_cfg)
    weights = read_weights(default_cfg.with_suffix(".weights"), network)
    check_weight_values(weights, network, "ok.weights")


@pytest.mark.parametrize(
    ("layer", "line", "array", "value", "words"),
    [
        (0, 13, "weights", np.nan, "weights has 1 NaN and 0 Inf"),
        (1, 21, "biases", np.inf, "biases has 0 NaN and 1 Inf"),
        (1, 21, "rolling_mean", -np.inf, "rolling_mean has 0 NaN and 1 Inf"),
        (1, 21, "rolling_variance", -0.25, "rolling_variance has 1 negative value(s) (channel 3"),
    ],
)
def test_bad_values_name_the_layer_and_cfg_line(
    default_cfg, tmp_path, capsys, layer, line, array, value, words
):
    weights = _corrupted(default_cfg, tmp_path, layer, array, value)
    out = tmp_path / "model.onnx"
    code = main(["import-darknet", str(default_cfg), str(weights), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {weights}: layer {layer} (convolutional, line {line}): ")
    assert words in err
    assert not out.exists()


def test_library_raises_darknet_error(default_cfg, tmp_path):
    weights = _corrupted(default_cfg, tmp_path, 3, "scales", np.nan)
    network = load_network(default_cfg)
    with pytest.raises(DarknetError, match=r"layer 3 \(convolutional, line \d+\): scales has 1"):
        check_weight_values(read_weights(weights, network), network, str(weights))
