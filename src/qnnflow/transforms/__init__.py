"""qonnx Transformations, one concern per file, grouped by area (tidy, streamline, ...)."""

from qnnflow.util.names import use_deterministic_names

use_deterministic_names()  # qonnx's own transforms name new tensors deterministically too
