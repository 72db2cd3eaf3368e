"""The whole chain from a W1A3-quantized Darknet model (qnnflow quantize) through Streamline
to hardware layers, executed before/after on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.frontend.darknet import import_darknet
from qnnflow.quant.w1a3 import quantize_w1a3
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import verified_transform


def _inputs(n, seed=0, size=64):
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]


@pytest.fixture(scope="module")
def quantized(tmp_path_factory):
    from tests.conftest import DEFAULT_CFG

    model = import_darknet(DEFAULT_CFG, DEFAULT_CFG.with_suffix(".weights"), (64, 64))
    q = quantize_w1a3(model, _inputs(4), method="percentile")
    return q.transform(InferDataTypes())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantized_to_hardware_layers_end_to_end(quantized, seed):
    x = {"input": _inputs(1, seed)[0]}
    integer = verified_transform(quantized, Streamline(), x, rtol=1e-5)
    hw = verified_transform(integer, ConvertToHW(), x, rtol=1e-5)
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("MatrixVectorUnit") == 9 and ops.count("StreamingMaxPool") == 5
    assert "Conv" not in ops  # the head too: an MVU emitting accumulators
    assert ops[-3:] == ["Transpose", "Mul", "Add"]  # its dequantization stays on the host
