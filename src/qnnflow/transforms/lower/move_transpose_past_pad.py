"""A layout change in front of a padding is moved behind it:

    Transpose(p) -> Pad(pads)  ==>  Pad(pads') -> Transpose(p)     pads'[p[i]] = pads[i]

(the same for the begin and the end halves). Pads must be a constant input (opset >= 11)
without an `axes` input.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.lower.transpose_rules import perm_of, source_shape
from qnnflow.transforms.streamline.patterns import (
    Matches,
    new_initializer,
    sole_consumer,
    swap_past,
)


class MoveTransposePastPad(Transformation):
    """Pad in the layout before the Transpose instead of after it."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for transpose in model.graph.node:
            perm = perm_of(transpose)
            pad = sole_consumer(model, transpose.output[0]) if perm else None
            if pad is None or pad.op_type != "Pad" or len(pad.input) not in (2, 3):
                continue
            pads = model.get_initializer(pad.input[1])
            if pads is not None and pad.input[0] == transpose.output[0]:
                matches.add((transpose, pad), perm, pads.reshape(-1))
        for transpose, pad, perm, pads in matches:
            rank = len(perm)
            moved = np.zeros_like(pads)
            for i, p in enumerate(perm):
                moved[p], moved[p + rank] = pads[i], pads[i + rank]
            pad.input[1] = new_initializer(model, f"{pad.name}_pads", moved, dtype=np.int64)
            shape = source_shape(model.get_tensor_shape(pad.output[0]), perm)
            swap_past(model, transpose, pad, 0, middle_shape=shape)
        return model, bool(matches)
