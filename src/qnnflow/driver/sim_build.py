"""Compile the C++ simulation a deployment package carries, so the "sim" backend runs from
the package alone (`PYTHONPATH=runtime`, no qnnflow install, no qonnx): `sim/` holds the
generated accelerator (`<top>_sim.cpp` and the layer files) and our kernel headers
(`sim/qnnflow/*.hpp`); g++ and the ap_types headers of the hls4ml wheel do the rest.

Standard library only: this module is copied into the package's runtime.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from qnnflow.errors import QnnflowError

SIM_DIR = "sim"
BUILD_DIR = ".sim-build"  # beside sim/, inside the package: the compiled simulation
# the generated code passed `-Wall -Werror` in the build's cppsim step; here it only runs,
# in the simulation's fast mode (values only: the driver reads no cycles), and portably (no
# -march=native: the package, with its compiled simulation, may move to another machine)
CXXFLAGS = ("-std=c++17", "-O2", "-Wno-unknown-pragmas", "-DQNNFLOW_SIM_FAST")
COMPILE_TIMEOUT_S = 900.0


def sim_main(top: str) -> str:
    """The simulation's main file for the accelerator `top`."""
    return f"{top}_sim.cpp"


def ap_types_dir() -> Path:
    """hls4ml's Apache-2.0 ap_types (ap_int.h, hls_stream.h), found without importing it."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise QnnflowError(
            "backend='sim' needs the ap_types headers of the hls4ml package: "
            "pip install hls4ml==1.3.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "templates/vivado/ap_types"
    if not (path / "ap_int.h").is_file():
        raise QnnflowError(f"hls4ml is installed but {path}/ap_int.h is missing")
    return path


def _digest(sources: Path, flags: tuple[str, ...]) -> str:
    digest = hashlib.sha256(" ".join(flags).encode())
    for path in sorted(p for p in sources.rglob("*") if p.is_file()):
        digest.update(path.relative_to(sources).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def compile_package_sim(
    root: Path, top: str, cache_dir: Path | None = None, timeout: float = COMPILE_TIMEOUT_S
) -> Path:
    """The executable of the package's simulation, compiled on first use and reused while
    `sim/` is unchanged (cached in `root/.sim-build/<hash>/sim` unless `cache_dir`)."""
    sources = Path(root) / SIM_DIR
    main = sources / sim_main(top)
    if not main.is_file():
        raise QnnflowError(
            f"{main} not found: this package carries no C++ simulation (export it with "
            "qnnflow's HLS backend present)"
        )
    gpp = shutil.which("g++")
    if gpp is None:
        raise QnnflowError("backend='sim' needs g++ on PATH (apt-get install g++)")
    folder = (cache_dir or Path(root) / BUILD_DIR) / _digest(sources, CXXFLAGS)
    exe = folder / "sim"
    if exe.is_file():
        return exe
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"sim.{os.getpid()}.partial"
    cmd = [gpp, *CXXFLAGS, f"-I{sources}", "-isystem", str(ap_types_dir()), str(main)]
    try:
        result = subprocess.run(
            [*cmd, "-o", str(partial)], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise QnnflowError(f"g++ did not compile {main} in {timeout:g} s") from None
    if result.returncode:
        partial.unlink(missing_ok=True)
        errors = [ln for ln in result.stderr.splitlines() if "error" in ln][:5]
        raise QnnflowError(
            f"g++ failed on {main}:\n" + "\n".join(errors or result.stderr.splitlines()[:5])
        )
    partial.replace(exe)
    return exe
