"""The MatrixVectorUnit's numpy execution beyond the plain conv chain: an XNOR layer
thresholds its popcount (not the bipolar dot product) into a BIPOLAR output, and a fully
connected layer reads a [1, H, W, C] stream as one vector of H*W*C."""

from __future__ import annotations

import numpy as np

from tests.ops.helpers import run, single_node_model

RNG = np.random.default_rng(11)


def test_xnor_layer_thresholds_the_popcount_into_bipolar():
    w = RNG.choice([-1, 1], size=(7, 3))
    x = RNG.choice([-1, 1], size=(1, 5, 7))
    x[0, :3] = w[:, 1], -w[:, 1], w[:, 2]  # 7, 0 and 7 matches on outputs 1, 1 and 2
    popcount_thresholds = np.array([[0], [4], [7]])  # always, a majority, all 7 bits agree
    model = single_node_model(
        "MatrixVectorUnit",
        [1, 5, 7],
        [1, 5, 3],
        {"W": w.astype(np.float32), "T": popcount_thresholds.astype(np.float32)},
        MW=7,
        MH=3,
        PE=1,
        SIMD=1,
        numInputVectors=[1, 5],
        numThresholds=1,
        weightDataType="BIPOLAR",
        inputDataType="BIPOLAR",
        outputDataType="BIPOLAR",
    )
    popcount = (x[..., :, None] == w).sum(axis=-2)  # matching bits per output
    expected = np.where(popcount >= popcount_thresholds[:, 0], 1, -1)
    np.testing.assert_array_equal(run(model, x), expected)


def test_fully_connected_layer_reads_an_image_as_one_vector():
    x = RNG.integers(-8, 8, size=(1, 2, 2, 3))
    w = RNG.integers(-2, 2, size=(12, 5))
    model = single_node_model(
        "MatrixVectorUnit",
        [1, 2, 2, 3],
        [1, 5],
        {"W": w.astype(np.float32)},
        MW=12,
        MH=5,
        PE=1,
        SIMD=3,
        numInputVectors=[1],
        weightDataType="INT2",
        inputDataType="INT4",
        outputDataType="INT32",
    )
    np.testing.assert_array_equal(run(model, x), x.reshape(1, 12) @ w)
