"""End-to-end detection: trained Tinier-YOLO on dog.jpg against the board's printout, and the
CLI's output formats."""

from __future__ import annotations

import json
import re

import pytest

from qnnflow.cli import main
from qnnflow.detector import load_detector
from qnnflow.frontend.binparams import detector_model, load_binparams
from qnnflow.util.atomic import atomic_write_bytes
from qnnflow.yolo.stb_decoder import DecoderUnavailable, stb_library


@pytest.fixture(scope="module")
def detector_path(tmp_path_factory):
    from tests.conftest import TINIER_YOLO_DIR

    if not TINIER_YOLO_DIR.is_dir():
        pytest.skip(f"shared data not found at {TINIER_YOLO_DIR}")
    path = tmp_path_factory.mktemp("det") / "tinier_yolo.onnx"
    model = detector_model(load_binparams(TINIER_YOLO_DIR / "tinier_yolo_w1a3.npz"))
    atomic_write_bytes(path, model.model.SerializeToString())
    return path


def _percentages(lines: list[str]) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in (re.match(r"(\w+): (\d+)%", line) for line in lines)}


def test_dog_jpg_gives_the_boards_detections_exactly(detector_path, tinier_yolo_dir, capsys):
    """`qnnflow detect` decodes dog.jpg with stb_image (the default for a Darknet model), as
    the board's Darknet does, and prints the board's golden lines exactly."""
    try:
        stb_library()
    except DecoderUnavailable as exc:
        pytest.skip(f"no Darknet decoding here: {exc}")
    golden = (tinier_yolo_dir / "golden_probs_dog.txt").read_text().splitlines()
    image = tinier_yolo_dir / "images" / "dog.jpg"
    assert main(["detect", "--model", str(detector_path), str(image)]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if "%" in line]
    assert printed == golden == ["car: 86%", "dog: 86%", "bicycle: 78%"]


def test_detect_cli_json_boxes_are_in_image_pixels(detector_path, tinier_yolo_dir, capsys):
    image = tinier_yolo_dir / "images" / "dog.jpg"
    assert main(["detect", "--model", str(detector_path), "--json", str(image)]) == 0
    payload = json.loads(capsys.readouterr().out)
    boxes = payload[0]["detections"]
    assert {b["class"] for b in boxes} == {"car", "dog", "bicycle"}
    assert all(
        0 <= b["left"] < b["right"] < 768 and 0 <= b["top"] < b["bottom"] < 576 for b in boxes
    )


def test_detect_without_head_metadata_is_a_clear_error(tmp_path, default_cfg, capsys):
    from qnnflow.frontend.darknet import import_darknet

    model = import_darknet(default_cfg, default_cfg.with_suffix(".weights"))
    model.set_metadata_prop("qnnflow.darknet.heads", "[]")
    path = tmp_path / "m.onnx"
    model.save(str(path))
    image = tmp_path / "x.png"
    from PIL import Image

    Image.new("RGB", (40, 30)).save(image)
    assert main(["detect", "--model", str(path), str(image)]) == 2
    assert "no region/yolo head metadata" in capsys.readouterr().err


def test_int8_host_convs_still_find_the_three_objects(tinier_yolo_dir, tmp_path):
    params = load_binparams(tinier_yolo_dir / "tinier_yolo_w1a3.npz")
    model = detector_model(params, host_bits=8)
    quants = [n for n in model.graph.node if n.op_type == "Quant"]
    assert sorted(n.name for n in quants) == ["conv0_wquant", "conv8_wquant"]
    path = tmp_path / "int8.onnx"
    atomic_write_bytes(path, model.model.SerializeToString())
    result = load_detector(path).detect(tinier_yolo_dir / "images" / "dog.jpg")
    assert set(_percentages(result.lines)) == {"car", "dog", "bicycle"}


def _bare_model(metadata: dict[str, str]):
    from onnx import TensorProto, helper
    from qonnx.core.modelwrapper import ModelWrapper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = ModelWrapper(helper.make_model(graph))
    for key, value in metadata.items():
        model.set_metadata_prop(key, value)
    return model


def test_default_decoder_follows_the_model():
    from qnnflow.detector import default_decoder
    from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
    from qnnflow.yolo.image import DECODER_KEY

    heads = json.dumps([{"type": "region"}])
    assert default_decoder(_bare_model({})) == "pillow"
    assert default_decoder(_bare_model({HEADS_KEY: heads})) == "darknet"
    assert default_decoder(_bare_model({HEADS_KEY: heads, DECODER_KEY: "pillow"})) == "pillow"
