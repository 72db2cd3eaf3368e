"""Model importers: each turns an external format into a float QONNX ModelWrapper."""

from qnnflow.util.names import use_deterministic_names

use_deterministic_names()  # qonnx's own transforms name new tensors deterministically too
