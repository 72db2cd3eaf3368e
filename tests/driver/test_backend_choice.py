"""Backend choice: pynq with its bitstream, else sim, else python; what was skipped and why
is in the one printed line; a backend that fails to open is skipped when choosing."""

from __future__ import annotations

import pytest

from qnnflow.backends.deploy.export import export_driver_package
from qnnflow.driver import backend_choice
from qnnflow.driver.backend_choice import BackendChoice, open_accelerator, probe
from qnnflow.errors import QnnflowError


@pytest.fixture(scope="module")
def package(mini_folded, tmp_path_factory):
    return export_driver_package(mini_folded, tmp_path_factory.mktemp("choice") / "pkg")


def _here(monkeypatch, modules=(), gxx=False):
    """Pretend only `modules` (plus qnnflow itself) import, and set g++."""
    present = set(modules)
    monkeypatch.setattr(backend_choice, "has_module", lambda name: name in present)
    monkeypatch.setattr(backend_choice, "has_gxx", lambda: gxx)


def test_probe_prefers_the_board_then_sim_then_python(package, monkeypatch):
    full = ("qonnx", "qnnflow.backends.hls", "hls4ml")
    _here(monkeypatch, ("pynq", *full), gxx=True)
    assert probe(package)["pynq"] == f"no bitstream {package.bitfile} in the package"
    (package.root / package.bitfile).write_bytes(b"bit")
    try:
        assert probe(package) == {"pynq": None, "sim": None, "python": None}
    finally:
        (package.root / package.bitfile).unlink()
    _here(monkeypatch, full, gxx=False)
    assert probe(package) == {
        "pynq": "pynq is not installed",
        "sim": "g++ not found",
        "python": None,
    }
    _here(monkeypatch, ("qonnx", "qnnflow.backends.hls"), gxx=True)
    assert probe(package)["sim"] == "hls4ml (its ap_types headers) is not installed"
    _here(monkeypatch, ("qonnx", "hls4ml"), gxx=True)
    assert probe(package)["python"].startswith("needs an installed qnnflow")
    # the runtime copy alone (no qonnx, no qnnflow install): sim still runs the package
    _here(monkeypatch, ("hls4ml",), gxx=True)
    assert probe(package) == {
        "pynq": "pynq is not installed",
        "sim": None,
        "python": "qonnx is not installed",
    }
    sources = package.root / "sim"
    sources.rename(package.root / "sim.away")
    try:
        assert probe(package)["sim"] == f"no sim/{package.top}_sim.cpp in the package"
    finally:
        (package.root / "sim.away").rename(sources)


def test_auto_skips_a_backend_that_fails_to_open(package, monkeypatch):
    _here(monkeypatch, ("qonnx", "qnnflow.backends.hls", "hls4ml"), gxx=True)
    opened = []

    class Fake:
        def __init__(self, pkg, backend, timeout):
            opened.append((backend, timeout))
            if backend == "sim":
                raise QnnflowError("g++ failed on mvu.hpp")

    monkeypatch.setattr(backend_choice, "Accelerator", Fake)
    accelerator, choice = open_accelerator(package.root, timeout=3.0)
    assert isinstance(accelerator, Fake) and opened == [("sim", 3.0), ("python", 3.0)]
    assert choice.describe() == (
        "backend: python (numpy execution of the hardware layers, not the accelerator; "
        "auto, skipped pynq: pynq is not installed; sim: g++ failed on mvu.hpp)"
    )


def test_requested_backend_and_errors(package, monkeypatch):
    accelerator, choice = open_accelerator(package, "python")
    assert accelerator.backend.name == "python"
    assert choice.describe().endswith("; requested python)")
    assert BackendChoice("sim", "auto").describe().endswith("; auto)")
    with pytest.raises(QnnflowError, match="unknown backend 'fpga' .choose from auto, pynq"):
        open_accelerator(package, "fpga")
    _here(monkeypatch, ())
    with pytest.raises(QnnflowError, match=r"no backend can run this package here \(pynq: pynq"):
        open_accelerator(package)
