"""dog.jpg through the package of a whole build of the trained Tinier-YOLO, as the board runs
it (run_on_board, python and C++-simulation backends): the board's golden lines exactly,
because the package records Darknet's decoder (stb_image) and the runtime decodes with it."""

from __future__ import annotations

import json

import pytest

from qnnflow.driver.run_on_board import main
from qnnflow.flow import BuildConfig, run_build
from qnnflow.yolo.stb_decoder import DecoderUnavailable, stb_library


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["python", "sim"])
def test_dog_jpg_through_the_built_package(tinier_yolo_dir, tmp_path_factory, backend, capsys):
    try:
        stb_library()
    except DecoderUnavailable as exc:
        pytest.skip(f"no Darknet decoding here: {exc}")
    out = tmp_path_factory.getbasetemp() / "dog_golden_build"
    cfg = BuildConfig(
        model=tinier_yolo_dir / "tinier_yolo_w1a3.npz", output_root=out, to_step="package"
    )
    run_build(cfg)  # the second parametrisation resumes: every step is skipped
    deploy = out / "tinier_yolo_w1a3" / "deploy"
    assert json.loads((deploy / "accelerator.json").read_text())["decoder"] == "darknet"
    image = tinier_yolo_dir / "images" / "dog.jpg"
    argv = [str(deploy), str(image), "--backend", backend, "--timeout", "1200"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "images decoded by stb_image" in captured.err
    printed = [line for line in captured.out.splitlines() if line.endswith("%")]
    golden = (tinier_yolo_dir / "golden_probs_dog.txt").read_text().splitlines()
    assert printed == golden == ["car: 86%", "dog: 86%", "bicycle: 78%"]
