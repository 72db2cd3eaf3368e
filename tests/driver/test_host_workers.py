"""`--workers N`: host pre and post of different frames in N worker processes give the
sequential run's results, in the order of the images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qnnflow.driver import Accelerator, DetectionPipeline
from qnnflow.driver.notebook_helpers import IMAGES_DIR, list_images
from qnnflow.driver.run_on_board import main
from qnnflow.errors import QnnflowError
from tests.driver.notebook_package import THRESH, make_deploy_package


@pytest.fixture(scope="module")
def package(mini_folded, tmp_path_factory):
    return make_deploy_package(mini_folded, tmp_path_factory.mktemp("workers") / "deploy")


def test_workers_give_the_sequential_results_in_order(package):
    pipeline = DetectionPipeline(Accelerator(package, backend="python"), thresh=THRESH)
    paths = [*list_images(package / IMAGES_DIR)] * 3
    paths = paths[1:] + paths[:1]  # not sorted: order must follow the list
    sequential = list(pipeline.run_files(paths))
    parallel = list(pipeline.run_files(paths, workers=2))
    assert len(parallel) == len(paths)
    assert any(r.lines for r in sequential), "the check needs detections"
    for ours, theirs in zip(parallel, sequential, strict=True):
        assert ours.lines == theirs.lines and ours.boxes == theirs.boxes
        for mine, want in zip(ours.detections, theirs.detections, strict=True):
            assert np.array_equal(mine.box, want.box) and np.array_equal(mine.prob, want.prob)
        assert set(ours.seconds) == set(theirs.seconds)
    with pytest.raises(QnnflowError, match="workers must be at least 1"):
        list(pipeline.run_files(paths, workers=0))


def test_run_on_board_workers_flag(package, capsys):
    images = [str(p) for p in list_images(package / IMAGES_DIR)]
    argv = [str(package), *images, "--backend", "python", "--thresh", str(THRESH), "--json"]
    assert main(argv) == 0
    sequential = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main([*argv, "--workers", "2"]) == 0
    parallel = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["image"] for r in parallel] == images
    assert [r["detections"] for r in parallel] == [r["detections"] for r in sequential]
