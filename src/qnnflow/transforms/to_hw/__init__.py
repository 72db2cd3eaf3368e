"""Conversion of integer (streamlined) layers into hardware ops, NHWC between them."""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

from qnnflow.transforms.to_hw.convert_conv_threshold import ConvertConvThresholdToHW
from qnnflow.transforms.to_hw.convert_maxpool import ConvertMaxPoolToHW
from qnnflow.transforms.to_hw.remove_transpose_pairs import RemoveTransposePairs


class ConvertToHW(Transformation):
    """All conversions, then the layout clean-up, then shapes and datatypes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for transform in (
            ConvertConvThresholdToHW(),
            ConvertMaxPoolToHW(),
            RemoveTransposePairs(),
            InferShapes(),
            InferDataTypes(),
        ):
            model = model.transform(transform)
        return model, False


__all__ = ["ConvertConvThresholdToHW", "ConvertMaxPoolToHW", "ConvertToHW", "RemoveTransposePairs"]
