"""Does finn-plus compile Tinier-YOLO's stride-1 max-pool? Two small probes, measured each run.

(a) the Brevitas export as is: ZeroPad2d(0,1,0,1) becomes an ONNX Pad with 3 inputs (data,
pads, value); (b) the same graph with the optional `axes` input filled in, to get past (a)'s
failure and see what finn-plus does next with the asymmetric pad itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def with_pad_axes(src: Path, dst: Path) -> Path:
    """Copy of `src` where every Pad node names all four axes explicitly (same semantics)."""
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(str(src))
    for node in model.graph.node:
        if node.op_type == "Pad" and len(node.input) < 4:
            while len(node.input) < 3:
                node.input.append("")
            axes = f"{node.name}_axes"
            model.set_initializer(axes, np.arange(4, dtype=np.int64))
            node.input.append(axes)
    model.save(str(dst))
    return dst
