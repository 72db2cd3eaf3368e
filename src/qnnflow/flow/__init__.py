"""The build: an ordered list of steps over one QONNX model, saved after every step."""

from qnnflow.flow.config import BuildConfig
from qnnflow.flow.runner import run_build
from qnnflow.flow.steps import STEPS, step_names, tool_free_step_names
from qnnflow.util.names import use_deterministic_names

use_deterministic_names()  # every tensor a build makes has a reproducible name

__all__ = ["BuildConfig", "STEPS", "run_build", "step_names", "tool_free_step_names"]
