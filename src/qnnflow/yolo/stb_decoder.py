"""Decode images with stb_image, as Darknet does, so a Darknet model sees Darknet's pixels.

Where stb_image comes from, in order: our shim (stb_shim.cpp) compiled with g++ against the
system header <stb/stb_image.h> (Debian's libstb-dev); else the stb_image inside Debian
darknet's libdarknet.so; else DecoderUnavailable, one line naming what is missing. Standard
library + numpy only: this also runs on the board, from the package's runtime copy.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnnflow.errors import QnnflowError
from qnnflow.yolo import shim_build
from qnnflow.yolo.shim_build import ShimUnavailable

SHIM_SOURCE = Path(__file__).with_name("stb_shim.cpp")
HEADER = "stb/stb_image.h"
INCLUDE_DIRS = (Path("/usr/include"), Path("/usr/local/include"))
LIBDARKNET = Path("/usr/lib/darknet/libdarknet.so")
INSTALL_HINT = (
    "install stb_image's header and g++ (apt-get install libstb-dev g++) or Debian's darknet "
    "(apt-get install darknet)"
)
_U8P = ctypes.POINTER(ctypes.c_ubyte)
_IP = ctypes.POINTER(ctypes.c_int)


class DecoderUnavailable(QnnflowError):
    """Darknet (stb_image) decoding was asked for, but neither the header nor libdarknet is here."""


@dataclass(frozen=True)
class StbLibrary:
    """stb_image's load/free/reason entry points from one shared library."""

    path: Path
    origin: str  # "shim" (our shim on the system header) or "libdarknet"
    load: Callable[..., object]
    free: Callable[..., object]
    reason: Callable[..., object]

    def describe(self) -> str:
        if self.origin == "shim":
            return f"stb_image (system header, shim {self.path})"
        return f"stb_image inside {self.path}"


def find_header(include_dirs: tuple[Path, ...] = INCLUDE_DIRS) -> Path | None:
    """The system's stb_image.h, or None."""
    return next((d / HEADER for d in include_dirs if (d / HEADER).is_file()), None)


def compile_shim(header: Path) -> Path:
    """The shim as a shared library, compiled against `header` (see shim_build)."""
    try:
        return shim_build.compile_shim(SHIM_SOURCE, extra_key=header.read_bytes())
    except ShimUnavailable as exc:
        raise DecoderUnavailable(str(exc)) from None


def _bind(path: Path, origin: str) -> StbLibrary:
    lib = shim_build.load_library(path)
    if origin == "shim":
        load, free, reason = lib.qnnflow_stb_load_rgb, lib.qnnflow_stb_free, lib.qnnflow_stb_reason
        load.argtypes = [ctypes.c_char_p, _IP, _IP]
    else:
        load, free, reason = lib.stbi_load, lib.stbi_image_free, lib.stbi_failure_reason
        load.argtypes = [ctypes.c_char_p, _IP, _IP, _IP, ctypes.c_int]
    load.restype = _U8P
    free.argtypes, free.restype = [ctypes.c_void_p], None
    reason.argtypes, reason.restype = [], ctypes.c_char_p
    return StbLibrary(path, origin, load, free, reason)


_CACHE: dict[tuple, StbLibrary] = {}


def stb_library(
    include_dirs: tuple[Path, ...] = INCLUDE_DIRS, libdarknet: Path = LIBDARKNET
) -> StbLibrary:
    """stb_image from the shim or libdarknet (found once per process), or DecoderUnavailable."""
    where = (tuple(include_dirs), Path(libdarknet))
    cached = _CACHE.get(where)
    if cached is not None:
        return cached
    missing = []
    header = find_header(include_dirs)
    if header is None:
        missing.append(f"no <{HEADER}>")
    else:
        try:
            found = _bind(compile_shim(header), "shim")
        except (DecoderUnavailable, OSError) as exc:
            missing.append(str(exc))
        else:
            _CACHE[where] = found
            return found
    if libdarknet.is_file():
        try:
            found = _bind(libdarknet, "libdarknet")
        except (OSError, AttributeError) as exc:
            missing.append(f"{libdarknet} unusable: {exc}")
        else:
            _CACHE[where] = found
            return found
    else:
        missing.append(f"no {libdarknet}")
    raise DecoderUnavailable(
        f"darknet image decoding needs stb_image ({'; '.join(missing)}): {INSTALL_HINT}"
    )


def stb_load_rgb(path: str | Path, library: StbLibrary | None = None) -> np.ndarray:
    """The image at `path` as uint8 [H, W, 3] RGB, decoded by stb_image (Darknet's pixels)."""
    lib = library or stb_library()
    width, height, channels = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    size = (ctypes.byref(width), ctypes.byref(height))
    name = str(path).encode()
    if lib.origin == "shim":
        pixels = lib.load(name, *size)
    else:
        pixels = lib.load(name, *size, ctypes.byref(channels), 3)
    if not pixels:
        reason = (lib.reason() or b"unknown").decode(errors="replace")
        raise QnnflowError(f"cannot read image {path}: stb_image: {reason}")
    try:
        shape = (height.value, width.value, 3)
        return np.ctypeslib.as_array(pixels, shape=shape).copy()
    finally:
        lib.free(pixels)
