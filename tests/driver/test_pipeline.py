"""The end-to-end pipeline (letterbox, host prefix, accelerator, host suffix, decode, NMS)
against qnnflow.detector on the same folded model, and the board-side import closure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.detector import Detector
from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.errors import QnnflowError
from tests.conftest import REPO_ROOT

THRESH = 0.05  # the default model's random-ish weights give low scores


def _image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((48, 80, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def package(mini_ddr_folded, tmp_path_factory):
    """With the HLS backend's DDR weight image, so the pynq path can start."""
    return export_driver_package(mini_ddr_folded, tmp_path_factory.mktemp("pipe") / "pkg")


def test_pipeline_equals_the_qonnx_detector(mini_ddr_folded, package):
    pipe = DetectionPipeline(Accelerator(package.root, backend="python"), thresh=THRESH)
    result = pipe.run(_image())
    names = [f"class{j}" for j in range(4)]
    reference = Detector(mini_ddr_folded, names, thresh=THRESH).detections(_image())
    # the pipeline keeps only the boxes with a class prob (the rest never print or suppress):
    # after NMS both keep the same scoring boxes, in the same order
    reference = [d for d in reference if d.prob.any()]
    scoring = [d for d in result.detections if d.prob.any()]
    assert len(scoring) == len(reference) > 0
    for ours, theirs in zip(scoring, reference, strict=True):
        np.testing.assert_allclose(ours.box, theirs.box, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.prob, theirs.prob, rtol=1e-5, atol=1e-6)
    assert result.lines, "expected some detections above the threshold"
    assert set(result.seconds) >= {
        "letterbox",
        "host_prefix",
        "accel_accelerator",
        "host_suffix",
        "decode_nms",
    }


def test_pipeline_input_errors(package):
    pipe = DetectionPipeline(Accelerator(package.root, backend="python"))
    with pytest.raises(QnnflowError, match=r"expected an HWC RGB image, got shape \[48, 80\]"):
        pipe.run(np.zeros((48, 80)))
    with pytest.raises(QnnflowError, match="resize must be one of"):
        DetectionPipeline(pipe.accelerator, resize="nearest")


BOARD_SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys
    BLOCKED = ("qonnx", "onnx", "onnxruntime", "torch")
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not on the board")
    sys.meta_path.insert(0, Block())
    package, runtime, tests_root, recorded = sys.argv[1:5]
    sys.path[:0] = [runtime, tests_root]
    import numpy as np
    import qnnflow
    assert qnnflow.__file__.startswith(runtime), qnnflow.__file__
    from qnnflow.driver import Accelerator, DetectionPipeline
    from qnnflow.errors import QnnflowError
    try:
        Accelerator(package, backend="pynq")
    except QnnflowError as exc:
        assert "needs the pynq package" in str(exc)
    from tests.driver import fake_pynq
    sys.modules["pynq"] = fake_pynq
    data = np.load(recorded)
    def device(frame):
        assert np.array_equal(frame, data["sent"]), "the board packed different bytes"
        return data["received"]
    from qnnflow.driver.package import load_package
    port = load_package(package).weights[0].port
    registers = {f"{port}_1": {"address_offset": 16}, f"{port}_2": {"address_offset": 20}}
    fake_pynq.CONFIG.update(device=device, in_bytes=data["sent"].size,
                            out_bytes=data["received"].size, registers=registers)
    pipe = DetectionPipeline(Accelerator(package, backend="pynq"), thresh=float(data["thresh"]))
    result = pipe.run(data["image"])
    blocked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(json.dumps({"lines": result.lines, "boxes": result.boxes, "blocked": blocked}))
    """
)


def test_board_side_runs_without_qonnx(package, tmp_path):
    """The copied runtime, with qonnx/onnx/onnxruntime/torch unimportable, reproduces the
    off-board result from the same DMA bytes (a pynq test double replays them)."""
    image = _image(1)
    python = Accelerator(package.root, backend="python")
    pipe = DetectionPipeline(python, thresh=THRESH)
    expected = pipe.run(image)
    assert expected.lines, "the check needs some detections"
    x = pipe.prefix.run({pipe.prefix.inputs[0]: pipe.network_input(image)})
    from qnnflow.driver.formats import pack_frames

    sent = pack_frames(package.input, x[pipe.prefix.outputs[0]])
    received = python.backend.transfer(sent, 1, 60.0)
    (package.root / package.bitfile).write_bytes(b"x")
    recorded = tmp_path / "recorded.npz"
    np.savez(recorded, sent=sent[0], received=received[0], image=image, thresh=THRESH)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            BOARD_SCRIPT,
            str(package.root),
            str(package.root / "runtime"),
            str(REPO_ROOT),
            str(recorded),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    board = json.loads(run.stdout.strip().splitlines()[-1])
    assert board["blocked"] == []
    assert board["lines"] == expected.lines and board["boxes"] == expected.boxes


def test_trained_tinier_yolo_dog(tinier_yolo_dir, tmp_path):
    """The trained detector (hardware layers at their default folding) on dog.jpg: the same
    detections as qnnflow.detector running the whole graph with qonnx, and, decoded with
    stb_image as the package records for a Darknet model, the board's golden lines exactly."""
    from qnnflow.frontend.binparams import detector_model, load_binparams
    from qnnflow.yolo import load_image
    from qnnflow.yolo.stb_decoder import DecoderUnavailable, stb_library

    try:
        stb_library()
        decoder = "darknet"
    except DecoderUnavailable:
        decoder = "pillow"
    model = detector_model(load_binparams(tinier_yolo_dir / "tinier_yolo_w1a3.npz"))
    pkg = export_driver_package(model, tmp_path / "pkg", decoder=decoder)
    assert pkg.names[:3] == ["aeroplane", "bicycle", "bird"]
    assert (pkg.root / "runtime" / "qnnflow" / "yolo" / "stb_shim.cpp").is_file()
    image_path = tinier_yolo_dir / "images" / "dog.jpg"
    pipeline = DetectionPipeline(Accelerator(pkg.root, backend="python", timeout=600))
    assert pipeline.decoder == decoder
    result = pipeline.run_file(image_path)
    reference = Detector(model, pkg.names).detections(load_image(image_path, decoder))
    ours = {(d.objectness, tuple(d.prob)) for d in result.detections if d.prob.any()}
    theirs = {(d.objectness, tuple(d.prob)) for d in reference if d.prob.any()}
    assert len(ours) == len(theirs) > 0
    assert [line.split(":")[0] for line in result.lines] == ["car", "dog", "bicycle"]
    got = sorted(d.objectness for d in result.detections if d.prob.any())
    want = sorted(d.objectness for d in reference if d.prob.any())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if decoder == "pillow":
        pytest.skip("no stb_image here (libstb-dev or libdarknet): the golden check needs it")
    golden = (tinier_yolo_dir / "golden_probs_dog.txt").read_text().splitlines()
    assert result.lines == golden == ["car: 86%", "dog: 86%", "bicycle: 78%"]
