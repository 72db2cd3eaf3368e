"""The deploy package records how images are decoded, the runtime checks the field, and the
board side (the package's runtime copy alone) compiles the stb_image shim it carries."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.driver.package import ACCELERATOR_JSON, load_package
from qnnflow.driver.run_on_board import main
from qnnflow.errors import QnnflowError
from qnnflow.yolo import stb_decoder
from qnnflow.yolo.image import load_image
from qnnflow.yolo.stb_decoder import DecoderUnavailable, find_header


@pytest.fixture(scope="module")
def darknet_package(mini_folded, tmp_path_factory):
    return export_driver_package(
        mini_folded, tmp_path_factory.mktemp("dec") / "pkg", decoder="darknet"
    )


def test_package_records_the_decoder(darknet_package):
    assert load_package(darknet_package.root).decoder == "darknet"
    shim = darknet_package.root / "runtime" / "qnnflow" / "yolo" / "stb_shim.cpp"
    assert "STB_IMAGE_IMPLEMENTATION" in shim.read_text()


def test_a_bad_decoder_field_is_refused(darknet_package, tmp_path):
    data = json.loads((darknet_package.root / ACCELERATOR_JSON).read_text())
    data["decoder"] = "opencv"
    (tmp_path / ACCELERATOR_JSON).write_text(json.dumps(data))
    with pytest.raises(QnnflowError, match="field 'decoder' must be one of darknet, pillow"):
        load_package(tmp_path)


def test_run_on_board_says_how_it_decodes(darknet_package, tmp_path, capsys):
    image = tmp_path / "x.png"
    Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(image)
    argv = [str(darknet_package.root), str(image), "--backend", "python", "--decoder", "pillow"]
    assert main(argv) == 0
    assert "images decoded by Pillow" in capsys.readouterr().err.splitlines()


def test_package_decoder_falls_back_to_pillow_when_stb_is_missing(
    darknet_package, monkeypatch, caplog
):
    def missing(*args, **kwargs):
        raise DecoderUnavailable("darknet image decoding needs stb_image (test)")

    monkeypatch.setattr(stb_decoder, "stb_library", missing)
    accelerator = Accelerator(darknet_package.root, backend="python")
    with caplog.at_level(logging.WARNING):
        assert DetectionPipeline(accelerator).decoder == "pillow"
    assert "decoding images with Pillow" in caplog.text
    with pytest.raises(DecoderUnavailable):
        DetectionPipeline(accelerator, decoder="darknet")


BOARD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])  # python -I: no PYTHONPATH, so no source tree
    import qnnflow.backends  # the runtime copy has no backends: this must fail
    """
)
DECODE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])  # python -I: no PYTHONPATH, so no source tree
    import numpy as np
    import qnnflow
    assert qnnflow.__file__.startswith(sys.argv[1]), qnnflow.__file__
    from qnnflow.yolo.stb_decoder import stb_library, stb_load_rgb
    lib = stb_library()
    np.save(sys.argv[3], stb_load_rgb(sys.argv[2], lib))
    print(json.dumps({"origin": lib.origin, "path": str(lib.path)}))
    """
)


@pytest.mark.skipif(find_header() is None, reason="<stb/stb_image.h> absent (libstb-dev)")
def test_board_runtime_compiles_the_shim_it_carries(darknet_package, tmp_path):
    runtime = darknet_package.root / "runtime"
    image = tmp_path / "im.jpg"
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)).save(image, quality=70)
    missing = subprocess.run(
        [sys.executable, "-I", "-c", BOARD_SCRIPT, str(runtime)], capture_output=True, text=True
    )
    assert "No module named 'qnnflow.backends'" in missing.stderr
    saved = tmp_path / "board.npy"
    run = subprocess.run(
        [sys.executable, "-I", "-c", DECODE_SCRIPT, str(runtime), str(image), str(saved)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    board = json.loads(run.stdout.strip().splitlines()[-1])
    assert board["origin"] == "shim" and board["path"].startswith(str(runtime))
    here = np.round(load_image(image, "darknet") * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.load(saved), here)
