"""Build step (with --backend rtl, or opt-in with --rtlsim) and `qnnflow sim --level rtl`:
the folded graph's hardware region rendered to SystemVerilog and simulated with Verilator,
each layer alone and the stitched core, bit for bit against numpy; rtlsim/rtlsim.json holds
per-layer cycles (measured vs estimated) and the first mismatch if any."""

from __future__ import annotations

import json
import logging

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.rtl.network_sim import RtlNetworkResult, simulate_network_rtl
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig
from qnnflow.util.atomic import atomic_write_text
from qnnflow.verify.inputs import seeded_input

log = logging.getLogger(__name__)
RTLSIM_FILE = "rtlsim/rtlsim.json"
STRESS = 0.3  # probability of an idle input cycle and of output backpressure per cycle


def rtl_simulation(model: ModelWrapper, seed: int) -> RtlNetworkResult:
    """Two seeded frames through every layer and the stitched core (with and without
    random gaps and backpressure)."""
    inputs = [seeded_input(model, seed), seeded_input(model, seed + 1)]
    return simulate_network_rtl(model, inputs, gaps=STRESS, stalls=STRESS, seed=seed + 1)


def rtlsim_asked(cfg: BuildConfig) -> bool:
    """The RTL backend's check, or asked for beside the HLS backend's (--rtlsim)."""
    return cfg.rtlsim or cfg.backend == "rtl"


def step_rtlsim(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """RTL simulation (with --backend rtl, else opt-in with --rtlsim): Verilator runs of
    every layer's SystemVerilog and the stitched top, bit-exact vs numpy, cycles per layer
    beside the estimates."""
    assert model is not None
    if not rtlsim_asked(cfg):
        log.info("rtlsim step not asked for (--backend rtl or --rtlsim): skipped")
        return model
    result = rtl_simulation(model, cfg.seed)
    path = cfg.output_dir / RTLSIM_FILE
    atomic_write_text(path, json.dumps(result.to_dict(), indent=2))
    if not result.bit_exact:
        raise QnnflowError(f"RTL simulation differs from numpy: {result.first_mismatch}")
    return model
