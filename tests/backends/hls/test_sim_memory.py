"""The C++ simulation of a YOLOv2-tiny-sized network at 416x416 (its seven hidden binary
layers, 16 -> 1024 channels, random weights, folded for the PYNQ-Z2 with the big layers
streaming weights from DDR) stays bit-exact within 2 GiB for the whole cppsim comparison:
its layer streams carry 6.4e8 elements (5 GB as int64), which the check that held every
stream in memory could not fit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from qnnflow.boards import load_board
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.frontend.binparams.params import HiddenLayer
from qnnflow.ops.stream_order import output_frame_replays
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters
from tests.conftest import REPO_ROOT
from tests.transforms.fold.test_folding import small_params

LIMIT_BYTES = 2 * 2**30

# run in a fresh process so its peak RSS (and its children's: g++, the simulator) is this
# comparison's alone
MEASURE = """
import json, resource, sys
from pathlib import Path
import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qnnflow.backends.hls.network_sim import first_mismatch

model = ModelWrapper(sys.argv[1])
shape = model.get_tensor_shape(model.graph.input[0].name)
x = np.random.default_rng(0).integers(0, 8, size=shape).astype(np.float32)
mismatch, sim = first_mismatch(model, x, cache_dir=Path(sys.argv[2]))
print(json.dumps({
    "mismatch": None if mismatch is None else str(mismatch),
    "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def yolov2_tiny_hidden(seed: int = 3):
    """YOLOv2-tiny's hidden convs after its first conv and pool (208x208x16 at 416x416):
    max-pool 2/2 after the first four, 2/1 (padded) after the fifth, none after the last two."""
    params = small_params(channels=(16, 32, 64, 128, 256, 512, 1024, 512), size=208, seed=seed)
    pools = [(2, 2, 0)] * 4 + [(2, 1, 1), None, None]
    params.hidden = [
        HiddenLayer(layer.index, layer.weight, layer.thresholds, layer.pad, pool)
        for layer, pool in zip(params.hidden, pools, strict=True)
    ]
    model = hidden_layers_model(params)
    for transform in (AutoFold(load_board("pynq_z2")), InsertWidthConverters(), InsertFIFOs()):
        model = model.transform(transform)
    return model


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
def test_yolov2_tiny_416_simulates_within_2_gib(tmp_path):
    model = yolov2_tiny_hidden()
    volume = sum(
        int(np.prod(model.get_tensor_shape(n.output[0]))) * output_frame_replays(model, n)
        for n in model.graph.node
    )
    assert volume > 6 * 10**8  # as int64, the streams alone would take 4.8 GB
    path = tmp_path / "yolov2_tiny_hidden.onnx"
    model.save(str(path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(tmp_path / "cpp")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["mismatch"] is None
    # Python's peak plus the largest child's (g++ and the simulator run one after the other)
    peak = (report["self_kib"] + report["children_kib"]) * 1024
    assert peak < LIMIT_BYTES, report
