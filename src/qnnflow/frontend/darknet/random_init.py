"""Deterministic, well-scaled random parameters for a cfg: stand-in weights for tests and
for the default model until a trained one exists."""

from __future__ import annotations

import numpy as np

from qnnflow.frontend.darknet.layers import DarknetNetwork
from qnnflow.frontend.darknet.weights import ConvParams, DarknetWeights


def random_weights(network: DarknetNetwork, seed: int = 0) -> DarknetWeights:
    """He-scaled conv weights, BN statistics near identity: activations stay in range."""
    rng = np.random.default_rng(seed)
    out = DarknetWeights(major=0, minor=2, revision=0, seen=0)
    for layer in network.conv_layers:
        shape = layer.weight_shape
        fan_in = shape[1] * shape[2] * shape[3]
        weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        n = layer.filters
        biases = rng.normal(0.0, 0.1, size=n).astype(np.float32)
        if layer.batch_normalize:
            scales = rng.uniform(0.5, 1.5, size=n).astype(np.float32)
            mean = rng.normal(0.0, 0.1, size=n).astype(np.float32)
            var = rng.uniform(0.5, 1.5, size=n).astype(np.float32)
            out.layers[layer.index] = ConvParams(biases, weights, scales, mean, var)
        else:
            out.layers[layer.index] = ConvParams(biases, weights)
    return out
