"""The importer against compiled Darknet itself (libdarknet.so from Debian's `darknet`
package), layer by layer; skipped where the package is not installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnnflow.frontend.darknet import (
    import_darknet,
)
from tests.frontend.darknet import libdarknet
from tests.frontend.darknet.layer_compare import layer_errors
from tests.frontend.darknet.numpy_darknet import write_random_weights
from tests.frontend.darknet.test_matches_numpy_darknet import CFGS, TOLERANCE, with_size

pytestmark = pytest.mark.skipif(
    not libdarknet.available(), reason="Debian package 'darknet' (libdarknet.so) not installed"
)


def compare_with_darknet(cfg: Path, tmp_path: Path, seed: int) -> dict[int, float]:
    weights = tmp_path / "w.weights"
    write_random_weights(cfg, weights, seed)
    model = import_darknet(cfg, weights)
    shape = [int(d) for d in model.get_tensor_shape("input")]
    image = np.random.default_rng(seed).random(shape[1:], dtype=np.float32)
    expected = libdarknet.darknet_layer_outputs(cfg, weights, image)
    return layer_errors(model, image, expected)


@pytest.mark.parametrize("name", ["yolov2-tiny", "yolov2-tiny-voc", "yolov3-tiny"])
def test_real_topologies_match_compiled_darknet(name, tmp_path):
    errors = compare_with_darknet(CFGS / f"{name}.cfg", tmp_path, seed=5)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE, f"layer {worst}: {errors[worst]:.3g}"


def test_tinier_yolo_matches_compiled_darknet(tinier_yolo_dir, tmp_path):
    cfg = with_size(tinier_yolo_dir / "tinier-yolo-bwn-3bit-relu-nomaxpool.cfg", tmp_path, 416, 416)
    errors = compare_with_darknet(cfg, tmp_path, seed=6)
    assert len(errors) == 15 and max(errors.values()) <= TOLERANCE


def test_edge_cases_match_compiled_darknet(tmp_path):
    # CPU Darknet ignores binary=1 (our default float mode) but applies xnor=1, which our
    # float mode leaves to the quantizer; route groups/group_id are AlexeyAB's, not in this
    # (pjreddie) Darknet. Compare without those lines.
    text = (CFGS / "edge-cases.cfg").read_text()
    for line in ("xnor=1\n", "groups = 2\n", "group_id = 1\n"):
        text = text.replace(line, "")
    cfg = tmp_path / "edge.cfg"
    cfg.write_text(text)
    errors = compare_with_darknet(cfg, tmp_path, seed=7)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE, f"layer {worst}: {errors[worst]:.3g}"
