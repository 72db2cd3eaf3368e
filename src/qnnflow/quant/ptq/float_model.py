"""The float model every PTQ step starts from: one torch.fx GraphModule, whatever the input."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass
class FloatModel:
    """A float32 GraphModule in eval mode, the shape of one input frame and where it came from.

    `input_shape` has batch 1 (e.g. (1, 3, 32, 32) or (1, 64)); the module itself accepts any
    batch size, as calibration feeds (B, *input_shape[1:]) batches. `kind` says which loader
    made it ("onnx", "torchscript", "state_dict", "pickled_module", "darknet"); `metadata`
    carries the source ONNX graph's metadata_props (Darknet's layer and head records)."""

    module: torch.fx.GraphModule
    input_shape: tuple[int, ...]
    name: str
    source: Path
    kind: str = "onnx"
    metadata: dict[str, str] = field(default_factory=dict)
