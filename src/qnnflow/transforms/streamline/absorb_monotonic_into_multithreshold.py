"""A non-decreasing elementwise activation in front of a thresholding moves into its thresholds:

    LeakyRelu(alpha >= 0) -> MultiThreshold(T)  ==>  MultiThreshold(T')
    T' = least float32 x with leaky(x) >= T    (real arithmetic: T for T >= 0, T / alpha below)

f(x) >= t is an up-set of x for any non-decreasing f, so it is exactly x >= T'. T' is found by
bisection over float32 x evaluating f as execution does (least_float32), so the float32
rounding of alpha * x (e.g. a product that underflows to -0, which passes t = 0) is decided
as the graph decides it. The output codes (and a negative out_bias: signed codes) are kept.
FORWARD lists the activations and their float32 forward functions; add one to support it.
The activation stays when something else reads it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from onnx import NodeProto
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.absorb_mul_into_multithreshold import compact
from qnnflow.transforms.streamline.least_float32 import least_accepted
from qnnflow.transforms.streamline.patterns import Matches, attr, is_graph_output, new_initializer

Forward = Callable[[np.ndarray], np.ndarray]


def _leaky_relu(node: NodeProto) -> Forward | None:
    """onnxruntime's LeakyRelu: x >= 0 ? x : float32(alpha) * x; None unless alpha >= 0."""
    alpha = np.float32(attr(node, "alpha", 0.01))
    if not alpha >= 0:
        return None
    return lambda x: np.where(x >= 0, x, alpha * x)


# op type -> the float32 forward function of a node of it (None: this node is not monotonic)
FORWARD: dict[str, Callable[[NodeProto], Forward | None]] = {
    "LeakyRelu": _leaky_relu,
}


def mapped_thresholds(thresholds: np.ndarray, forward: Forward) -> np.ndarray:
    """T'[c, j] = least float32 x with forward(x) >= T[c, j]."""
    t = np.asarray(thresholds, dtype=np.float32)
    return least_accepted(lambda x: forward(x) >= t, t.shape)


class AbsorbMonotonicIntoMultiThreshold(Transformation):
    """Let a thresholding read the input of a non-decreasing activation (FORWARD) directly."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for mt in model.graph.node:
            if mt.op_type != "MultiThreshold":
                continue
            act = model.find_producer(mt.input[0])
            thresholds = model.get_initializer(mt.input[1])
            if act is None or act.op_type not in FORWARD or thresholds is None:
                continue
            forward = FORWARD[act.op_type](act)
            if forward is not None:
                matches.add((mt, act), forward, thresholds)
        for mt, act, forward, thresholds in matches:
            new = compact(mapped_thresholds(thresholds, forward))
            mt.input[1] = new_initializer(model, f"{mt.name}_T", new)
            mt.input[0] = act.input[0]
            readers = model.find_consumers(act.output[0])
            if not readers and not is_graph_output(model, act.output[0]):
                model.graph.node.remove(act)
        return model, bool(matches)
