"""`qnnflow sim --input` takes a .npy tensor or an image; an image becomes exactly the tensor
`qnnflow detect` feeds the same model (read, letterboxed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from qnnflow.cli import main
from qnnflow.commands.sim import read_input, sim_cmd
from qnnflow.detector import Detector, load_detector


@pytest.fixture
def folded(mini_folded, tmp_path):
    path = tmp_path / "folded.onnx"
    mini_folded.save(str(path))
    return path


def _image(path, width=80, height=48):
    """A wide image with a bright square, so letterboxing pads the top and bottom."""
    pixels = np.full((height, width, 3), 40, np.uint8)
    pixels[10:30, 20:40] = (220, 180, 30)
    Image.fromarray(pixels).save(path)
    return path


def test_image_input_is_what_detect_feeds(mini_folded, folded, tmp_path, monkeypatch):
    image = _image(tmp_path / "wide.png")
    seen = []
    original = Detector._execute

    def spy(self, x):
        seen.append(x.copy())
        return original(self, x)

    monkeypatch.setattr(Detector, "_execute", spy)
    load_detector(folded).detect(image)
    x = read_input(mini_folded, image)
    assert len(seen) == 1 and x.shape == seen[0].shape == (1, 3, 64, 64)
    np.testing.assert_array_equal(x, seen[0])
    assert (x[0, :, 0, :] == 0.5).all() and x.max() > 0.8  # grey bar, then the image
    np.save(tmp_path / "x.npy", x)
    np.testing.assert_array_equal(read_input(mini_folded, tmp_path / "x.npy"), x)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_sim_runs_on_an_image(folded, tmp_path, suffix):
    image = _image(tmp_path / f"frame{suffix}")
    args = [str(folded), "--level", "python", "--input", str(image), "--json"]
    result = CliRunner().invoke(sim_cmd, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["python_seconds"] > 0


def test_bad_inputs_are_one_line(folded, tmp_path, capsys):
    (tmp_path / "frame.txt").write_text("not an image")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    np.save(tmp_path / "small.npy", np.zeros((1, 3, 8, 8), np.float32))
    cases = {
        "frame.txt": "expected a .npy tensor or an image",
        "broken.png": "cannot read image",
        "small.npy": "not an input of shape (1, 3, 64, 64)",
    }
    for name, message in cases.items():
        args = ["sim", str(folded), "--level", "python", "--input", str(tmp_path / name)]
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err


def test_fast_cpp_sim_is_bit_exact_and_counts_no_cycles(folded):
    result = CliRunner().invoke(sim_cmd, [str(folded), "--level", "both", "--fast", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["bit_exact"] is True and "cycles" not in record and record["cpp_seconds"] > 0


def test_fast_applies_to_the_cpp_levels_only(folded, capsys):
    assert main(["sim", str(folded), "--level", "python", "--fast"]) == 2
    assert "--fast applies to the C++ simulation" in capsys.readouterr().err
