"""Small integer graphs with fully connected layers for the to_hw tests."""

from __future__ import annotations

import numpy as np

from tests.transforms.streamline.graphs import Chain


def int_weights(rng, shape, low=-2, high=2) -> np.ndarray:
    return rng.integers(low, high, size=shape, endpoint=True).astype(np.float32)


def thresholds(rng, channels: int, count: int, span: int) -> np.ndarray:
    return np.sort(rng.integers(-span, span + 1, size=(channels, count)), axis=1).astype(np.float32)


def conv_flatten_fc(h: int, w: int, seed: int = 0):
    """UINT2 [1, 3, h, w] -> Conv 3x3 (4 ch) -> MT -> Reshape [1, 4hw] -> Gemm (5) -> MT."""
    rng = np.random.default_rng(seed)
    chain = Chain([1, 3, h, w])
    chain.op("Conv", int_weights(rng, [4, 3, 3, 3]), kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    chain.op("MultiThreshold", thresholds(rng, 4, 3, 12), qonnx=True, out_dtype="UINT2")
    chain.op("Reshape", chain.builder.const("flat", np.array([1, -1]), np.int64))
    chain.op("Gemm", int_weights(rng, [5, 4 * h * w]), transB=1)
    chain.op("MultiThreshold", thresholds(rng, 5, 3, 20), qonnx=True, out_dtype="UINT2")
    return chain.model([1, 5], input_dtype="UINT2")


def fc_chain(widths=(784, 64, 64, 10), seed: int = 0):
    """INT2 [1, widths[0]] -> [Gemm (INT2 weights, transB=1) -> MT (INT2)] per hidden width
    -> Gemm -> Mul(0.5): TFC-W2A2's shape after streamlining."""
    rng = np.random.default_rng(seed)
    chain = Chain([1, widths[0]])
    for i, (mw, mh) in enumerate(zip(widths, widths[1:], strict=False)):
        chain.op("Gemm", int_weights(rng, [mh, mw]), transB=1)
        if i < len(widths) - 2:
            t = thresholds(rng, mh, 2, mw // 4)
            chain.op("MultiThreshold", t, qonnx=True, out_dtype="INT2", out_bias=-1.0)
    chain.op("Mul", np.float32(0.5))
    return chain.model([1, widths[-1]], input_dtype="INT2")
