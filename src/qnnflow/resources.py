"""Where the package data lives: the HLS kernel library, board files, the on-board notebook
and the default model. One answer for a source checkout, an editable install and a wheel:
`qnnflow/share/` links the repository's top-level folders (hls/, rtl/, boards/, notebooks/,
data/models/) into the package, and a wheel carries their files there as package data."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from qnnflow.errors import QnnflowError

DEFAULT_MODEL_NAME = "tinier-yolo-mini"
SHARE = "share"
# a file each data folder must hold; its absence means a broken install, said in one line
MARKERS = {
    "hls": "qnnflow/compat.hpp",
    "rtl": "README.md",
    "boards": "pynq_z2/board.yaml",
    "notebooks": "qnnflow_demo.ipynb",
    "models": f"{DEFAULT_MODEL_NAME}.cfg",
}


def share_dir() -> Path:
    """qnnflow's data root on the file system (g++ and Vivado need real paths, so an
    install that keeps the package in a zip archive is refused)."""
    root = files("qnnflow") / SHARE
    if not isinstance(root, Path):
        raise QnnflowError(f"qnnflow's package data is not on the file system ({root})")
    return root


def data_dir(name: str) -> Path:
    """One data folder (`hls`, `rtl`, `boards`, `notebooks`, `models`), checked for its marker."""
    if name not in MARKERS:
        raise QnnflowError(f"unknown package data '{name}' (known: {', '.join(MARKERS)})")
    path = (share_dir() / name).resolve()  # a checkout shows the top-level folder
    if not (path / MARKERS[name]).is_file():
        raise QnnflowError(
            f"qnnflow's package data is incomplete: {path / MARKERS[name]} is missing "
            "(reinstall qnnflow)"
        )
    return path


def hls_dir() -> Path:
    """The header-only kernel library: `qnnflow/*.hpp`, `templates/`, `tcl/`."""
    return data_dir("hls")


def rtl_dir() -> Path:
    """The SystemVerilog kernel library: `qnnflow/*.sv`."""
    return data_dir("rtl")


def boards_dir() -> Path:
    """One folder per board: board.yaml, Tcl templates, deploy README template."""
    return data_dir("boards")


def notebooks_dir() -> Path:
    """The on-board Jupyter demo the package step copies into deploy/."""
    return data_dir("notebooks")


def models_dir() -> Path:
    """The embedded default model, its float weights and calibration images."""
    return data_dir("models")


def default_model() -> Path:
    """The cfg `qnnflow build` compiles when no --model is given."""
    return models_dir() / f"{DEFAULT_MODEL_NAME}.cfg"
