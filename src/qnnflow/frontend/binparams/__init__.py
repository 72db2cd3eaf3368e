"""The trained Tinier-YOLO (binary weights + integer thresholds) as qnnflow models."""

from qnnflow.frontend.binparams.models import detector_model, hidden_layers_model
from qnnflow.frontend.binparams.params import TinierYoloParams, load_binparams

__all__ = ["TinierYoloParams", "detector_model", "hidden_layers_model", "load_binparams"]
