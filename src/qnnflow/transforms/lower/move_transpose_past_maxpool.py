"""A layout change in front of a max-pool is moved behind it, the pool becoming qonnx's
MaxPoolNHWC:

    Transpose(NHWC->NCHW) -> MaxPool  ==>  MaxPoolNHWC -> Transpose(NHWC->NCHW)

Only 2D pools with symmetric pads (what MaxPoolNHWC supports) and a single output match;
asymmetric padding is expected as an explicit Pad node in front of the pool.
"""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.lower.transpose_rules import NHWC_TO_NCHW, source_shape, transpose_into
from qnnflow.transforms.streamline.patterns import QONNX_DOMAIN, Matches, attr, swap_past


def _nhwc_pool(pool):
    """A MaxPoolNHWC node with `pool`'s parameters, or None when it cannot express them."""
    kernel = list(attr(pool, "kernel_shape", []))
    pads = list(attr(pool, "pads", [0] * 2 * len(kernel)))
    dilations = list(attr(pool, "dilations", [1] * len(kernel)))
    if len(kernel) != 2 or len(pool.output) != 1 or pads[:2] != pads[2:] or dilations != [1, 1]:
        return None
    if attr(pool, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    return helper.make_node(
        "MaxPoolNHWC",
        list(pool.input),
        list(pool.output),
        name=pool.name,
        domain=QONNX_DOMAIN,
        kernel_shape=kernel,
        pads=pads,
        strides=list(attr(pool, "strides", [1, 1])),
        ceil_mode=int(attr(pool, "ceil_mode", 0)),
    )


class MoveTransposePastMaxPool(Transformation):
    """Pool in NHWC (MaxPoolNHWC) instead of transposing to NCHW first."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for transpose, pool in transpose_into(model, "MaxPool", NHWC_TO_NCHW):
            nhwc = _nhwc_pool(pool)
            if nhwc is not None:
                matches.add((transpose, pool), nhwc)
        for transpose, pool, nhwc in matches:
            pool.CopyFrom(nhwc)
            shape = source_shape(model.get_tensor_shape(pool.output[0]), NHWC_TO_NCHW)
            swap_past(model, transpose, pool, 0, middle_shape=shape)
        return model, bool(matches)
