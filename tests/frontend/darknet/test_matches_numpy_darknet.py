"""The converted graph, run by onnxruntime, matches an independent numpy model of Darknet
at every layer (max |a - b| / max |b| <= 1e-4), on real Darknet topologies with random
weights (including tiny batch-norm variances) and on synthetic edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnnflow.frontend.darknet import import_darknet
from tests.frontend.darknet.layer_compare import layer_errors
from tests.frontend.darknet.numpy_darknet import (
    darknet_forward,
    maxpool,
    read_sections,
    write_random_weights,
)

CFGS = Path(__file__).parent / "cfgs"
TOLERANCE = 1e-4


def with_size(cfg: Path, tmp_path: Path, height: int, width: int) -> Path:
    """The cfg with another [net] size (the reference reads sizes from the cfg)."""
    text = cfg.read_text()
    lines = [
        f"width={width}"
        if line.startswith("width=")
        else f"height={height}"
        if line.startswith("height=")
        else line
        for line in text.splitlines()
    ]
    out = tmp_path / cfg.name
    out.write_text("\n".join(lines) + "\n")
    return out


def compare(
    cfg: Path, tmp_path: Path, seed: int = 0, fold_bn: bool = False, binary_mode: str = "float"
) -> dict[int, float]:
    weights = tmp_path / (cfg.stem + ".weights")
    write_random_weights(cfg, weights, seed)
    model = import_darknet(cfg, weights, fold_bn=fold_bn, binary_mode=binary_mode)
    sections = read_sections(cfg)
    net = sections[0][1]
    image = np.random.default_rng(seed).random(
        (int(net.get("channels", 3)), int(net["height"]), int(net["width"])), dtype=np.float32
    )
    expected = darknet_forward(cfg, weights, image, binary_mode)
    return layer_errors(model, image, expected)


@pytest.mark.parametrize("name", ["yolov2-tiny", "yolov2-tiny-voc", "yolov3-tiny"])
@pytest.mark.parametrize("fold_bn", [False, True])
def test_real_topologies_match_every_layer(name, fold_bn, tmp_path):
    cfg = with_size(CFGS / f"{name}.cfg", tmp_path, 96, 128)
    errors = compare(cfg, tmp_path, seed=1, fold_bn=fold_bn)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE, f"layer {worst}: {errors[worst]:.3g}"


@pytest.mark.parametrize("name", ["yolov2-tiny", "yolov2-tiny-voc", "yolov3-tiny"])
def test_real_topologies_at_416(name, tmp_path):
    errors = compare(CFGS / f"{name}.cfg", tmp_path, seed=2)
    assert max(errors.values()) <= TOLERANCE


@pytest.mark.parametrize("binary_mode", ["float", "darknet"])
@pytest.mark.parametrize("fold_bn", [False, True])
def test_edge_cases_match_every_layer(binary_mode, fold_bn, tmp_path):
    errors = compare(
        CFGS / "edge-cases.cfg", tmp_path, seed=3, fold_bn=fold_bn, binary_mode=binary_mode
    )
    assert len(errors) == 13
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE, f"layer {worst}: {errors[worst]:.3g}"


def test_tinier_yolo_cfg_matches_every_layer(tinier_yolo_dir, tmp_path):
    cfg = with_size(tinier_yolo_dir / "tinier-yolo-bwn-3bit-relu-nomaxpool.cfg", tmp_path, 128, 128)
    errors = compare(cfg, tmp_path, seed=4)
    assert len(errors) == 15 and max(errors.values()) <= TOLERANCE


def test_reference_maxpool_and_batchnorm_on_hand_computed_cases(tmp_path):
    x = np.arange(9, dtype=float).reshape(1, 3, 3)
    # size 2 stride 1: padding 1, window i covers i..i+1, the last row/column only itself
    np.testing.assert_array_equal(maxpool(x, 2, 1, 1)[0], [[4, 5, 5], [7, 8, 8], [7, 8, 8]])
    # size 2 stride 2 on 3x3: the extra window at the right/bottom covers only the edge
    np.testing.assert_array_equal(maxpool(x, 2, 2, 1)[0], [[4, 5], [7, 8]])
    cfg = tmp_path / "bn.cfg"
    cfg.write_text(
        "[net]\nwidth=1\nheight=1\nchannels=1\n[convolutional]\nbatch_normalize=1\n"
        "filters=1\nsize=1\nactivation=linear\n"
    )
    weights = tmp_path / "bn.weights"
    # bias 0.5, scale 2, mean 1, variance 1e-8, weight 3: y = 2*(3x - 1)/(1e-4 + 1e-6) + 0.5
    weights.write_bytes(
        np.array([0, 2, 0, 0, 0], "<i4").tobytes() + np.array([0.5, 2, 1, 1e-8, 3], "<f4").tobytes()
    )
    out = darknet_forward(cfg, weights, np.array([[[1.0]]]))[0]
    variance = float(np.float32(1e-8))
    assert out[0, 0, 0] == pytest.approx(2 * 2 / (np.sqrt(variance) + 1e-6) + 0.5, rel=1e-6)
