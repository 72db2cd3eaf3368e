"""Pick the accelerator backend a package can use where it is opened: "pynq" on the board
(pynq imports and the bitstream is in the package), else "sim" (g++, hls4ml's ap_types
headers and the package's sim/ sources), else "python" (qonnx's numpy execution, with an
installed qnnflow). The notebook and `run_on_board` share it
so both say the same thing, in one line, about what actually runs the hardware layers.

Numpy only: this module is copied into the package's runtime and runs on the board.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from qnnflow.driver.accelerator import BACKENDS, DEFAULT_TIMEOUT_S, Accelerator
from qnnflow.driver.package import MODEL_ONNX, AcceleratorPackage, load_package
from qnnflow.driver.sim_build import SIM_DIR, sim_main
from qnnflow.errors import QnnflowError

AUTO = "auto"
WHAT = {
    "pynq": "the FPGA through PYNQ",
    "sim": "the g++ simulation of the generated C++ accelerator",
    "python": "numpy execution of the hardware layers, not the accelerator",
}


def has_module(name: str) -> bool:
    """True when `name` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def has_gxx() -> bool:
    return shutil.which("g++") is not None


def probe(package: AcceleratorPackage) -> dict[str, str | None]:
    """{backend: None when it can be tried here, else why not}, in preference order."""
    pynq = None
    if not has_module("pynq"):
        pynq = "pynq is not installed"
    elif not (package.root / package.bitfile).is_file():
        pynq = f"no bitstream {package.bitfile} in the package"
    sim = None  # the package's own C++ sources, compiled here
    if not has_gxx():
        sim = "g++ not found"
    elif not (package.root / SIM_DIR / sim_main(package.top)).is_file():
        sim = f"no {SIM_DIR}/{sim_main(package.top)} in the package"
    elif not has_module("hls4ml"):
        sim = "hls4ml (its ap_types headers) is not installed"
    python = None
    if not has_module("qonnx"):
        python = "qonnx is not installed"
    elif not has_module("qnnflow.backends.hls"):
        python = "needs an installed qnnflow (this is the package's runtime copy)"
    elif not (package.root / MODEL_ONNX).is_file():
        python = f"no {MODEL_ONNX} in the package"
    return {"pynq": pynq, "sim": sim, "python": python}


@dataclass
class BackendChoice:
    """The backend opened, whether it was asked for or found, and why the others were not."""

    name: str
    requested: str
    skipped: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for the user: `backend: sim (...; auto: pynq: pynq is not installed)`."""
        text = f"backend: {self.name} ({WHAT[self.name]}"
        if self.requested != AUTO:
            return text + f"; requested {self.requested})"
        reasons = "; ".join(f"{k}: {v}" for k, v in self.skipped.items())
        return text + (f"; auto, skipped {reasons})" if reasons else "; auto)")


def open_accelerator(
    package: str | Path | AcceleratorPackage,
    backend: str = AUTO,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> tuple[Accelerator, BackendChoice]:
    """An `Accelerator` on `backend`, or on the first backend that opens when it is "auto"
    (a backend whose probe passes but whose construction fails, e.g. a C++ kernel that does
    not compile yet, is skipped with its error)."""
    pkg = package if isinstance(package, AcceleratorPackage) else load_package(package)
    if backend != AUTO:
        if backend not in BACKENDS:
            raise QnnflowError(
                f"unknown backend '{backend}' (choose from {AUTO}, {', '.join(BACKENDS)})"
            )
        return Accelerator(pkg, backend=backend, timeout=timeout), BackendChoice(backend, backend)
    skipped: dict[str, str] = {}
    for name, why_not in probe(pkg).items():
        if why_not is not None:
            skipped[name] = why_not
            continue
        try:
            return Accelerator(pkg, backend=name, timeout=timeout), BackendChoice(
                name, AUTO, skipped
            )
        except QnnflowError as exc:
            skipped[name] = str(exc)
    reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
    raise QnnflowError(f"no backend can run this package here ({reasons})")
