"""Where the C++ sources live: our kernel library (hls/, package data) and the
ap_int/hls::stream headers that g++ uses in place of the vendor's (from the hls4ml wheel)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.resources import hls_dir


def hls_library_dir() -> Path:
    """The directory holding `qnnflow/*.hpp` and `templates/`."""
    return hls_dir()


def template_path(name: str) -> Path:
    return hls_library_dir() / "templates" / name


def ap_types_include_dir() -> Path:
    """hls4ml's copy of the Apache-2.0 ap_types (ap_int.h, hls_stream.h), found without
    importing hls4ml itself (its import pulls in optional frameworks)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise QnnflowError(
            "the C++ simulation needs the ap_types headers of the hls4ml package: "
            "pip install hls4ml==1.3.0 (make setup installs it)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "templates/vivado/ap_types"
    if not (path / "ap_int.h").is_file():
        raise QnnflowError(f"hls4ml is installed but {path}/ap_int.h is missing")
    return path
