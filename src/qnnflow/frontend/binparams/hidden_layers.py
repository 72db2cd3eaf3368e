"""Hardware layers for binary-weight, multi-threshold convs: ZeroPad -> SlidingWindow ->
MatrixVectorUnit (thresholds fused) -> [StreamingMaxPool], all NHWC."""

from __future__ import annotations

import numpy as np

from qnnflow.frontend.binparams.params import HiddenLayer
from qnnflow.ops import DOMAIN
from qnnflow.util.graph_builder import GraphBuilder


def conv_weight_matrix(weight: np.ndarray) -> np.ndarray:
    """OIHW [Cout, Cin, K, K] -> [K*K*Cin, Cout] matching SlidingWindow's (ky, kx, c) order."""
    cout = weight.shape[0]
    return weight.transpose(2, 3, 1, 0).reshape(-1, cout)


def add_hidden_layers(
    gb: GraphBuilder,
    x: str,
    shape: tuple[int, int, int],
    layers: list[HiddenLayer],
    act_dtype: str,
) -> tuple[str, tuple[int, int, int], dict[str, str]]:
    """Append the layers; returns the output tensor, its (H, W, C) and the datatype of
    every initializer added (weights BIPOLAR, thresholds INT32)."""
    h, w, c = shape
    dtypes: dict[str, str] = {}
    for layer in layers:
        name = f"conv{layer.index}"
        cout, cin, k, _ = layer.weight.shape
        if cin != c:
            raise ValueError(f"{name}: expects {cin} channels, gets {c}")
        p = layer.pad
        common = {"domain": DOMAIN, "inputDataType": act_dtype, "outputDataType": act_dtype}
        if p:
            x = gb.node(
                "ZeroPad",
                [x],
                f"{name}_pad",
                ImgDim=[h, w],
                Padding=[p, p, p, p],
                NumChannels=c,
                **common,
            )
            h, w = h + 2 * p, w + 2 * p
        x = gb.node(
            "SlidingWindow",
            [x],
            f"{name}_swg",
            ConvKernelDim=[k, k],
            IFMChannels=c,
            IFMDim=[h, w],
            Stride=[1, 1],
            **common,
        )
        h, w = h - k + 1, w - k + 1
        weights = gb.const(f"{name}_W", conv_weight_matrix(layer.weight))
        thresholds = gb.const(f"{name}_T", layer.thresholds)
        dtypes[weights], dtypes[thresholds] = "BIPOLAR", "INT32"
        x = gb.node(
            "MatrixVectorUnit",
            [x, weights, thresholds],
            f"{name}_mvu",
            MW=k * k * c,
            MH=cout,
            numInputVectors=[1, h, w],
            weightDataType="BIPOLAR",
            numThresholds=layer.thresholds.shape[1],
            **common,
        )
        c = cout
        if layer.pool is not None:
            size, stride, extra = layer.pool
            x = gb.node(
                "StreamingMaxPool",
                [x],
                f"{name}_pool",
                ImgDim=[h, w],
                Kernel=size,
                Stride=stride,
                Pads=[0, 0, extra, extra],
                NumChannels=c,
                **common,
            )
            h, w = (h + extra - size) // stride + 1, (w + extra - size) // stride + 1
    return x, (h, w, c), dtypes
