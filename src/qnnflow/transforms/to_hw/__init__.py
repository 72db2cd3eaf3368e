"""Conversion of integer (streamlined) layers into hardware ops, NHWC between them."""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.to_hw.convert_concat import ConvertConcatToHW
from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from qnnflow.transforms.to_hw.convert_maxpool import ConvertMaxPoolToHW
from qnnflow.transforms.to_hw.convert_upsample import ConvertUpsampleToHW
from qnnflow.transforms.to_hw.insert_stream_duplicators import InsertStreamDuplicators
from qnnflow.transforms.to_hw.remove_transpose_pairs import RemoveTransposePairs


class ConvertToHW(Transformation):
    """All conversions, then the layout clean-up, a fork node on every hardware stream read
    more than once, then shapes and datatypes. Concats go first: qonnx types a Concat's
    output like its first input, too narrow for mixed inputs, and the layers after it
    take their input type from that tensor when they are converted."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for transform in (
            ConvertUpsampleToHW(),
            ConvertConcatToHW(),
            InferDataTypes(),  # a Concat's output type now holds all its inputs
            ConvertConvThresholdToHW(),
            ConvertMaxPoolToHW(),
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
    "ConvertMaxPoolToHW",
    "ConvertToHW",
    "ConvertUpsampleToHW",
    "InsertStreamDuplicators",
    "RemoveTransposePairs",
]
