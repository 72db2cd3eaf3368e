"""Turn a quantized (QONNX) graph into integer codes, integer weights and thresholds."""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.remove import RemoveIdentityOps

from qnnflow.transforms.integerize.absorb_into_conv_thresholds import AbsorbIntoConvThresholds
from qnnflow.transforms.integerize.act_quant_to_thresholds import ActQuantToThresholds


class Integerize(Transformation):
    """Activation Quants to thresholds, then fold scales/BN into conv thresholds."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for transform in (
            ActQuantToThresholds(),
            InferShapes(),
            AbsorbIntoConvThresholds(),
            RemoveIdentityOps(),
            InferShapes(),
            InferDataTypes(),
        ):
            model = model.transform(transform)
        return model, False


__all__ = ["AbsorbIntoConvThresholds", "ActQuantToThresholds", "Integerize"]
