"""Streamline on the repository's own W1A3-quantized Darknet model (float input, float head):
integer codes between layers equal the quantized graph's, only the head stays float."""

from __future__ import annotations

import numpy as np
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.frontend.darknet import import_darknet
from qnnflow.quant.w1a3 import quantize_w1a3
from qnnflow.transforms.streamline import Streamline
from qnnflow.util.execute import max_relative_error
from tests.conftest import DEFAULT_CFG


def _images(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, 64, 64), dtype=np.float32) for _ in range(n)]


def test_default_model_streamlines_to_integer_layers_and_a_float_head():
    model = import_darknet(DEFAULT_CFG, DEFAULT_CFG.with_suffix(".weights"), (64, 64))
    quantized = quantize_w1a3(model, _images(4, 0), method="percentile")
    quantized = quantized.transform(InferDataTypes())
    integer = quantized.transform(Streamline())
    ops = [n.op_type for n in integer.graph.node]
    assert set(ops[:-2]) == {"MultiThreshold", "Conv", "MaxPool"} and ops[-2:] == ["Mul", "Add"]

    x = {"input": _images(1, 9)[0]}
    ref = execute_onnx(quantized, x, return_full_exec_context=True)
    new = execute_onnx(integer, x, return_full_exec_context=True)
    mts = {n.name: n for n in integer.graph.node if n.op_type == "MultiThreshold"}
    compared = 0
    for quant in quantized.graph.node:
        if f"{quant.name}_multithreshold" in mts:
            compared += 1
            codes = ref[quant.output[0]] / quantized.get_initializer(quant.input[1])
            assert np.array_equal(
                new[mts[f"{quant.name}_multithreshold"].output[0]], np.round(codes)
            )
    assert compared == len(mts) == 9
    for mt in list(mts.values())[1:]:  # behind the first (float-input) layer: integers
        t = integer.get_initializer(mt.input[1])
        assert np.array_equal(t, np.round(t))
    out = integer.graph.output[0].name
    assert max_relative_error(new[out], ref[quantized.graph.output[0].name]) < 1e-5
