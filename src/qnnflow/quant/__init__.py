"""Quantization: calibration of activation ranges, W1A3 and PTQ schemes, QAT with Brevitas."""

from qnnflow.util.names import use_deterministic_names

use_deterministic_names()  # qonnx's own transforms name new tensors deterministically too
