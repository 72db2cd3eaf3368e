"""`python -m qnnflow.driver.run_on_board`: Darknet lines, timings and drawings off the board
with the python backend, and on a simulated board: the package's runtime copy alone (qonnx
unimportable), the pynq backend picked automatically, a pynq test double replaying the
accelerator's recorded DMA bytes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.driver.formats import pack_frames
from qnnflow.driver.notebook_helpers import IMAGES_DIR, list_images
from qnnflow.driver.run_on_board import main
from qnnflow.yolo.image import load_image
from tests.conftest import REPO_ROOT
from tests.driver.notebook_package import THRESH, make_deploy_package

PREDICTED = re.compile(r"^(.+): Predicted in \d+\.\d{6} seconds\.$")


@pytest.fixture(scope="module")
def package(mini_folded, tmp_path_factory):
    return make_deploy_package(mini_folded, tmp_path_factory.mktemp("board") / "deploy")


def _expected(package) -> dict[str, list[str]]:
    pipeline = DetectionPipeline(Accelerator(package, backend="python"), thresh=THRESH)
    return {str(p): pipeline.run_file(p).lines for p in list_images(package / IMAGES_DIR)}


def _blocks(out: str) -> dict[str, list[str]]:
    """`Predicted` line -> the detection lines printed under it (up to its timing line)."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        match = PREDICTED.match(line)
        if match:
            current = blocks.setdefault(match.group(1), [])
        elif line.startswith("timings (ms): "):
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_prints_darknet_lines_and_timings(package, tmp_path, capsys):
    argv = [str(package), "--backend", "python", "--thresh", str(THRESH)]
    assert main([*argv, "--draw", str(tmp_path / "drawn")]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("backend: python (numpy execution")
    expected = _expected(package)
    assert any(expected.values()), "the check needs detections"
    assert _blocks(captured.out) == expected
    lines = captured.out.splitlines()
    timings = [line for line in lines if line.startswith("timings (ms): load ")]
    assert len(timings) == 2 and all(" | accel_accelerator " in t for t in timings)
    assert any(line.startswith("mean over 2 images (ms): ") for line in lines)
    assert re.search(r"^pipeline: [\d.]+ fps \([\d.]+ ms per frame", captured.out, re.M)
    drawn = sorted(p.name for p in (tmp_path / "drawn").iterdir())
    assert drawn == ["sample0_boxes.png", "sample1_boxes.png"]


def test_json_output_names_given_images(package, capsys):
    image = list_images(package / IMAGES_DIR)[1]
    argv = [str(package), str(image), "--backend", "python", "--thresh", str(THRESH), "--json"]
    assert main(argv) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    pipeline = DetectionPipeline(Accelerator(package, backend="python"), thresh=THRESH)
    assert record["image"] == str(image)
    assert record["detections"] == pipeline.run_file(image).boxes
    assert {"load", "accel_accelerator", "decode_nms"} <= set(record["seconds"])


def test_errors_are_one_line_and_exit_code_2(package, tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: not a driver package (no accelerator.json): {tmp_path}\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(package), "--backend", "python", str(empty / "missing.jpg")]) == 2
    assert "error: image not found" in capsys.readouterr().err


BOARD = textwrap.dedent(
    """
    import importlib.abc, runpy, sys
    BLOCKED = ("qonnx", "onnx", "onnxruntime", "torch")
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not on the board")
    sys.meta_path.insert(0, Block())
    runtime, tests_root, recorded, *argv = sys.argv[1:]
    sys.path[:0] = [runtime, tests_root]
    import numpy as np
    import qnnflow
    assert qnnflow.__file__.startswith(runtime), qnnflow.__file__
    from tests.driver import fake_pynq
    sys.modules["pynq"] = fake_pynq
    data = np.load(recorded)
    replies = {data[f"sent{i}"].tobytes(): data[f"received{i}"] for i in range(int(data["n"]))}
    fake_pynq.CONFIG.update(device=lambda frame: replies[frame.tobytes()],
                            in_bytes=data["sent0"].size, out_bytes=data["received0"].size)
    sys.argv = ["run_on_board", *argv]
    runpy.run_module("qnnflow.driver.run_on_board", run_name="__main__")
    """
)


def test_on_a_simulated_board_from_the_runtime_copy(package, tmp_path):
    """Auto picks pynq (it imports and the bitstream is there); the lines equal the
    off-board run's because the test double replays the python backend's bytes."""
    python = Accelerator(package, backend="python")
    pipeline = DetectionPipeline(python, thresh=THRESH)
    recorded = {}
    for i, path in enumerate(list_images(package / IMAGES_DIR)):
        x = pipeline.network_input(load_image(path))
        region_in = pipeline.prefix.run({pipeline.prefix.inputs[0]: x})[pipeline.prefix.outputs[0]]
        sent = pack_frames(python.input_format, region_in)
        recorded[f"sent{i}"] = sent[0]
        recorded[f"received{i}"] = python.backend.transfer(sent, 1, 60.0)[0]
    np.savez(tmp_path / "recorded.npz", n=len(recorded) // 2, **recorded)
    board = tmp_path / "board"
    shutil.copytree(package, board)
    (board / "model.onnx").unlink()  # the board does not need it
    (board / python.package.bitfile).write_bytes(b"bitstream")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            BOARD,
            str(board / "runtime"),
            str(REPO_ROOT),
            str(tmp_path / "recorded.npz"),
            str(board),
            "--thresh",
            str(THRESH),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=board,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.startswith("backend: pynq (the FPGA through PYNQ; auto)"), run.stderr
    expected = {k.replace(str(package), str(board)): v for k, v in _expected(package).items()}
    assert _blocks(run.stdout) == expected


@pytest.mark.slow
def test_sim_backend_gives_the_python_backend_detections(package, capsys):
    """The g++ simulation of the generated accelerator (compiled on first use) and numpy
    execution of the hardware layers print the same boxes (slow: the compile)."""
    from qnnflow.driver.backend_choice import has_gxx

    if not has_gxx():
        pytest.skip("needs g++")
    runs = {}
    for backend in ("sim", "python"):
        argv = [str(package), "--backend", backend, "--thresh", str(THRESH), "--json"]
        assert main([*argv, "--timeout", "120"]) == 0
        runs[backend] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["detections"] for r in runs["sim"]] == [r["detections"] for r in runs["python"]]
    assert any(r["detections"] for r in runs["sim"])
