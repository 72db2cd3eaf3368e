"""Build steps of the HLS backend: write the accelerator's C++ (a portable folder with the
kernel library beside it), then check it in a g++ simulation against the numpy execution."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from qnnflow.backends.hls.network import build_network_code, hardware_region, render_network
from qnnflow.backends.hls.network_sim import first_mismatch
from qnnflow.backends.hls.paths import hls_library_dir
from qnnflow.build.config import BuildConfig
from qnnflow.build.verify_step import seeded_input
from qnnflow.errors import QnnflowError
from qnnflow.util.atomic import atomic_write_text


def write_hls_sources(model: ModelWrapper, out_dir: Path) -> list[str]:
    """Render every layer and the stitched top into `out_dir` (replaced as a whole, so it
    is never half-written), with the kernel headers under `include/`."""
    files = render_network(model, build_network_code(model))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text)
        shutil.copytree(hls_library_dir() / "qnnflow", staging / "include" / "qnnflow")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(files)


def step_codegen(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Codegen: HLS C++ of every hardware layer and the stitched dataflow top (hls/)."""
    assert model is not None
    write_hls_sources(model, cfg.output_dir / "hls")
    return model


def step_cppsim(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """C++ simulation: g++ build of the generated code, bit-exact per layer vs numpy, and
    simulated cycles per layer beside the estimates."""
    assert model is not None
    x = seeded_input(model, cfg.seed)
    mismatch, sim = first_mismatch(model, x, cache_dir=cfg.output_dir / "cppsim" / "cache")
    layers = []
    for node in hardware_region(model):
        estimate = getCustomOp(node).cycles()
        simulated = sim.cycles[node.name]
        layers.append(
            {
                "layer": node.name,
                "op": node.op_type,
                "cycles_sim": simulated,
                "cycles_estimate": estimate,
                "difference": simulated - estimate,
            }
        )
    report = {
        "bit_exact": mismatch is None,
        "first_mismatch": None if mismatch is None else str(mismatch),
        "seconds_per_frame": sim.seconds,
        "layers": layers,
    }
    atomic_write_text(cfg.output_dir / "cppsim" / "cppsim.json", json.dumps(report, indent=2))
    if mismatch is not None:
        raise QnnflowError(f"C++ simulation differs from numpy: {mismatch}")
    return model
