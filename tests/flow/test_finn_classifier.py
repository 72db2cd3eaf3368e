"""FINN's classifiers (shrunk TFC-W1A2 and CNV-W1A1) built to a deploy package classify from
the package itself: its README's off-board command, run as written from the deploy folder
(PYTHONPATH=runtime, --backend sim), on PNG images and a .npy array gives top-5 classes whose
scores equal qonnx's execution of the original Brevitas export on the same input."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.driver.classify import to_grayscale
from qnnflow.flow import BuildConfig, run_build
from qnnflow.yolo.resize import resize_image
from tests.finn_networks import export, small_network

pytest.importorskip("brevitas_examples")
PIL = pytest.importorskip("PIL.Image")

OFFBOARD = re.compile(r"`(PYTHONPATH=runtime python -m qnnflow\.driver\.run_on_board [^`]*)`")


def _reference(onnx_path: Path, x: np.ndarray) -> np.ndarray:
    model = ModelWrapper(str(onnx_path))
    inp, out = model.graph.input[0].name, model.graph.output[0].name
    return np.asarray(execute_onnx(model, {inp: x})[out]).reshape(-1)


def _inputs(shape: tuple, folder: Path) -> dict[str, np.ndarray]:
    """Input files -> the network input each should become: a PNG at the model's size
    (decoded independently here), a PNG of another size (resized), a .npy array."""
    _, channels, height, width = shape
    rng = np.random.default_rng(3)
    same = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if channels == 1:
        same[:, :, 1] = same[:, :, 2] = same[:, :, 0]  # gray pixels: luma is exact
    PIL.fromarray(same).save(folder / "same.png")
    other = rng.integers(0, 256, (height + 5, width + 9, 3), dtype=np.uint8)
    PIL.fromarray(other).save(folder / "other.png")
    array = rng.random(shape, dtype=np.float32)
    np.save(folder / "input.npy", array)
    pixels = same[:, :, :channels].astype(np.float32) / np.float32(255.0)
    resized = resize_image(other.astype(np.float32) / np.float32(255.0), width, height)
    if channels == 1:
        resized = to_grayscale(resized)
    return {
        str(folder / "same.png"): pixels.transpose(2, 0, 1)[None],
        str(folder / "other.png"): resized.transpose(2, 0, 1)[None],
        str(folder / "input.npy"): array,
    }


def _run(deploy: Path, args: list[str]) -> subprocess.CompletedProcess:
    """`python ARGS` from the deploy folder with only the package's runtime on the path."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=deploy,
        env={"PYTHONPATH": "runtime", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("net", "precision"), [("tfc", "1w2a"), ("cnv", "1w1a")])
def test_finn_classifier_package_classifies_like_qonnx(net, precision, tmp_path):
    model, shape = small_network(net, precision, seed=2)
    onnx_path = export(model, shape, tmp_path / f"{net}_{precision}.onnx")
    result = run_build(BuildConfig(model=onnx_path, output_root=tmp_path / "b", to_step="package"))
    deploy = result.output_dir / "deploy"
    readme = (deploy / "README.md").read_text()
    assert "classifier" in readme and "detections" not in readme
    assert "There is no notebook in this package" in readme
    assert not list(deploy.glob("*.ipynb"))

    (command,) = OFFBOARD.findall(readme)
    assert command.endswith(" . INPUT --backend sim")
    expected = _inputs(shape, tmp_path)
    argv = shlex.split(command.replace("INPUT", " ".join(expected)) + " --json")
    assert argv[:2] == ["PYTHONPATH=runtime", "python"]
    done = _run(deploy, argv[2:])
    assert done.returncode == 0, done.stderr
    assert "classifier: no detector heads" in done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["input"] for r in records] == list(expected)
    for record in records:
        want = _reference(onnx_path, expected[record["input"]])
        got = np.array(record["scores"])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=record["input"])
        assert record["score_kind"] == "raw"
        top = record["top"]
        assert len(top) == 5
        assert [t["class"] for t in top] == [f"class{t['class_id']}" for t in top]
        best = np.sort(want)[::-1][:5]
        np.testing.assert_allclose([t["score"] for t in top], best, rtol=0, atol=1e-5)
        assert top[0]["class_id"] in np.flatnonzero(want >= want.max() - 1e-5)

    # the plain output: five `classJ: score` lines under a `Predicted in` line
    done = _run(deploy, argv[2:-1])  # without --json
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{next(iter(expected))}: Predicted in ")
    assert lines[0].endswith("seconds (raw scores, no softmax).")
    assert all(re.fullmatch(r"class\d: -?\d+\.\d{6}", ln) for ln in lines[1:6]), lines
    assert lines[6].startswith("timings (ms):")
