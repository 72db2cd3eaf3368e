"""Each integerize transform on its own, and the whole chain from a W1A3-quantized Darknet
model to hardware layers, executed before/after on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.frontend.darknet import import_darknet
from qnnflow.quant.w1a3 import quantize_w1a3
from qnnflow.transforms.integerize import (
    AbsorbIntoConvThresholds,
    ActQuantToThresholds,
    Integerize,
)
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.verify import check_equivalent, verified_transform


def _inputs(n, seed=0, size=64):
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]


@pytest.fixture(scope="module")
def quantized(tmp_path_factory):
    from tests.conftest import DEFAULT_CFG

    model = import_darknet(DEFAULT_CFG, DEFAULT_CFG.with_suffix(".weights"), (64, 64))
    q = quantize_w1a3(model, _inputs(4), method="percentile")
    return q.transform(InferDataTypes())


def test_act_quant_to_thresholds_is_equivalent(quantized):
    out = verified_transform(
        quantized, ActQuantToThresholds(), {"input": _inputs(1, 7)[0]}, rtol=1e-6
    )
    assert sum(n.op_type == "Quant" for n in out.graph.node) == 2  # the two 8-bit weights
    assert sum(n.op_type == "MultiThreshold" for n in out.graph.node) == 9


def test_absorb_leaves_integer_weights_and_thresholds(quantized):
    staged = quantized.transform(ActQuantToThresholds())
    out = verified_transform(
        staged, AbsorbIntoConvThresholds(), {"input": _inputs(1, 3)[0]}, rtol=1e-5
    )
    ops = [n.op_type for n in out.graph.node]
    assert "BatchNormalization" not in ops and "BipolarQuant" not in ops and "Relu" not in ops
    for node in out.graph.node:
        if node.op_type == "Conv" and node.name != "l013_conv":
            w = out.get_initializer(node.input[1])
            assert np.array_equal(w, np.round(w))


def test_negative_batchnorm_gain_flips_the_channel(quantized):
    model = ModelWrapper(quantized.model.SerializeToString())
    scale = model.get_initializer("l001_conv_bn_scale").copy()
    scale[::2] *= -1
    model.set_initializer("l001_conv_bn_scale", scale)
    check_equivalent(
        model,
        model.transform(Integerize()),
        {"input": _inputs(1, 11)[0]},
        rtol=1e-5,
        label="Integerize",
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantized_to_hardware_layers_end_to_end(quantized, seed):
    x = {"input": _inputs(1, seed)[0]}
    integer = verified_transform(quantized, Integerize(), x, rtol=1e-5)
    hw = verified_transform(integer, ConvertToHW(), x, rtol=1e-5)
    ops = [n.op_type for n in hw.graph.node]
    assert ops.count("MatrixVectorUnit") == 8 and ops.count("StreamingMaxPool") == 5
    assert ops[-2:] == ["Mul", "Conv"]  # the float head stays on the host
