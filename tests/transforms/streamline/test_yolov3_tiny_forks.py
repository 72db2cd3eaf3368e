"""YOLOv3-tiny (two route forks, an upsample, a concat route, two linear heads) streamlines to
an integer graph whose only float Muls/Adds sit on the heads' outputs, and to_hw puts every
hidden conv, max-pool, upsample, concat and fork in hardware; bit-exact before/after."""

from __future__ import annotations

from collections import Counter

import pytest

from qnnflow.ops import DOMAIN
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform
from tests.transforms.yolov3_tiny import images, quantized_yolov3_tiny

HEADS = ("l015_", "l022_")


@pytest.fixture(scope="module")
def streamlined(tmp_path_factory):
    quantized = quantized_yolov3_tiny(tmp_path_factory.mktemp("yolov3"), size=64)
    x = {"input": images(1, 64, seed=5)[0]}
    return verified_transform(quantized, Streamline(), x, rtol=1e-5), x


def _only_into_outputs(model, tensor: str) -> bool:
    """True when `tensor` reaches nothing but float Muls/Adds and graph outputs."""
    readers = model.find_consumers(tensor)
    outputs = {o.name for o in model.graph.output}
    return (readers or tensor in outputs) and all(
        r.op_type in ("Mul", "Add") and _only_into_outputs(model, r.output[0]) for r in readers
    )


def test_float_scales_stay_only_on_the_heads(streamlined):
    model, _ = streamlined
    for node in model.graph.node:
        if node.op_type in ("Mul", "Add"):
            assert node.name.startswith(HEADS), node.name
            assert _only_into_outputs(model, node.output[0]), node.name


def test_every_hidden_layer_goes_to_hardware(streamlined):
    model, x = streamlined
    hw = verified_transform(model, ConvertToHW(), x, rtol=1e-5)
    ops = Counter(n.op_type for n in hw.graph.node if n.domain == DOMAIN)
    assert ops["MatrixVectorUnit"] == 13  # the two linear heads emit accumulators
    assert (ops["StreamingMaxPool"], ops["Upsample"], ops["StreamingConcat"]) == (6, 1, 1)
    assert ops["DuplicateStreams"] == 2  # the route forks after layers 8 and 13
    host = [n for n in hw.graph.node if n.domain != DOMAIN and n.op_type != "Transpose"]
    first, *rest = host
    assert first.op_type == "MultiThreshold" and first.input[0] == "input"
    assert all(n.name.startswith(HEADS) for n in rest), [n.name for n in rest]
