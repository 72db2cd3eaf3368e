"""Conversion of integer (streamlined) layers into hardware ops, NHWC between them.

A conversion is one `convert_<layer>.py` module holding one Transformation class that
declares the protocol every conversion answers (ConvertToHW runs them, the to_hw report
asks them why a node stayed on the host; no list to edit, no table of conditions elsewhere):

- `ORDER: int` - ConvertToHW runs the conversions in this order;
- `OP_TYPES: tuple[str, ...]` - the ONNX op types the conversion looks at (the anchor, e.g.
  Conv, and the nodes it fuses with it, e.g. MultiThreshold);
- `decline_reason(model, node) -> str | None` (a staticmethod) - for a node of one of
  OP_TYPES: None when the conversion takes it, else why not, in words that name the
  attribute or datatype at fault ("Conv input datatype FLOAT32 is not integer"). `apply`
  converts exactly the anchor nodes whose reason is None, so the reason cannot drift from
  the match; a fused node (the MultiThreshold after a Conv) always gets a reason, pointing
  at its anchor.

A node no conversion claims is reported as "no hardware conversion for op type X"."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.apply_step import apply_step
from qnnflow.transforms.to_hw.convert_add import ConvertAddToHW
from qnnflow.transforms.to_hw.convert_concat import ConvertConcatToHW
from qnnflow.transforms.to_hw.convert_conv_linear import ConvertConvLinearToHW
from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from qnnflow.transforms.to_hw.convert_fc_threshold import ConvertFCThresholdToHW
from qnnflow.transforms.to_hw.convert_global_pool import ConvertGlobalPoolToHW
from qnnflow.transforms.to_hw.convert_maxpool import ConvertMaxPoolToHW
from qnnflow.transforms.to_hw.convert_pad import ConvertPadToHW
from qnnflow.transforms.to_hw.convert_threshold import ConvertThresholdToHW
from qnnflow.transforms.to_hw.convert_upsample import ConvertUpsampleToHW
from qnnflow.transforms.to_hw.insert_stream_duplicators import InsertStreamDuplicators
from qnnflow.transforms.to_hw.remove_transpose_pairs import RemoveTransposePairs


def conversions() -> list[type[Transformation]]:
    """Every conversion (a Transformation with ORDER in a `convert_*` module), in ORDER."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("convert_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and isinstance(getattr(cls, "ORDER", None), int):
                found.append(cls)
    for cls in found:
        if not isinstance(getattr(cls, "OP_TYPES", None), tuple) or not callable(
            getattr(cls, "decline_reason", None)
        ):
            raise TypeError(f"{cls.__name__}: a conversion declares OP_TYPES and decline_reason")
    return sorted(found, key=lambda cls: (cls.ORDER, cls.__name__))


class ConvertToHW(Transformation):
    """All conversions in ORDER (datatypes re-inferred after each: qonnx types a Concat's
    output like its first input, too narrow for mixed inputs, and later conversions take
    their input type from it), then the layout clean-up, a fork node on every hardware
    stream read more than once, then shapes and datatypes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for conversion in conversions():  # the models in between are this apply's own
            model = apply_step(model, conversion(), copy=False)
            model = apply_step(model, InferDataTypes(), copy=False)
        for transform in (
            RemoveTransposePairs(),
            InsertStreamDuplicators(),
            InferShapes(),
            InferDataTypes(),
        ):
            model = apply_step(model, transform, copy=False)
        return model, False


__all__ = [
    "ConvertAddToHW",
    "ConvertConcatToHW",
    "ConvertConvLinearToHW",
    "ConvertConvThresholdToHW",
    "ConvertFCThresholdToHW",
    "ConvertGlobalPoolToHW",
    "ConvertMaxPoolToHW",
    "ConvertPadToHW",
    "ConvertThresholdToHW",
    "ConvertToHW",
    "ConvertUpsampleToHW",
    "InsertStreamDuplicators",
    "RemoveTransposePairs",
    "conversions",
]
