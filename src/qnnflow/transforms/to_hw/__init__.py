"""Conversion of integer (streamlined) layers into hardware ops, NHWC between them.

Every `convert_<layer>.py` module holds one Transformation with a class attribute ORDER;
ConvertToHW finds them by that declaration and runs them in ORDER, so a new op's conversion
is one new module and no list to edit."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.to_hw.convert_concat import ConvertConcatToHW
from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from qnnflow.transforms.to_hw.convert_fc_threshold import ConvertFCThresholdToHW
from qnnflow.transforms.to_hw.convert_maxpool import ConvertMaxPoolToHW
from qnnflow.transforms.to_hw.convert_pad import ConvertPadToHW
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
    return sorted(found, key=lambda cls: (cls.ORDER, cls.__name__))


class ConvertToHW(Transformation):
    """All conversions in ORDER (datatypes re-inferred after each: qonnx types a Concat's
    output like its first input, too narrow for mixed inputs, and later conversions take
    their input type from it), then the layout clean-up, a fork node on every hardware
    stream read more than once, then shapes and datatypes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for conversion in conversions():
            model = model.transform(conversion()).transform(InferDataTypes())
        for transform in (
            RemoveTransposePairs(),
            InsertStreamDuplicators(),
            InferShapes(),
            InferDataTypes(),
        ):
            model = model.transform(transform)
        return model, False


__all__ = [
    "ConvertConcatToHW",
    "ConvertConvThresholdToHW",
    "ConvertFCThresholdToHW",
    "ConvertMaxPoolToHW",
    "ConvertPadToHW",
    "ConvertToHW",
    "ConvertUpsampleToHW",
    "InsertStreamDuplicators",
    "RemoveTransposePairs",
    "conversions",
]
