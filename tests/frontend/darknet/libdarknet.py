"""Compiled Darknet (Debian's `darknet` package: libdarknet.so, pjreddie 2018) driven through
ctypes, to compare the importer with Darknet's own forward pass layer by layer."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from qnnflow.yolo.shim_build import load_library

LIBRARY = Path("/usr/lib/darknet/libdarknet.so")


class Image(ctypes.Structure):
    _fields_ = [
        ("w", ctypes.c_int),
        ("h", ctypes.c_int),
        ("c", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_float)),
    ]


def available() -> bool:
    return LIBRARY.is_file()


def _lib() -> ctypes.CDLL:
    lib = load_library(LIBRARY)  # not ctypes.CDLL: it would switch on flush-to-zero here
    lib.load_network.restype = ctypes.c_void_p
    lib.load_network.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
    lib.set_batch_network.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.network_predict.restype = ctypes.POINTER(ctypes.c_float)
    lib.network_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)]
    lib.get_network_image_layer.restype = Image
    lib.get_network_image_layer.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.free_network.argtypes = [ctypes.c_void_p]
    return lib


def darknet_layer_outputs(cfg: Path, weights: Path, image_chw: np.ndarray) -> list[np.ndarray]:
    """Every layer's output (C, H, W) after Darknet's CPU forward pass on one image."""
    lib = _lib()
    net = lib.load_network(str(cfg).encode(), str(weights).encode(), 0)
    try:
        lib.set_batch_network(net, 1)
        data = np.ascontiguousarray(image_chw, dtype=np.float32)
        lib.network_predict(net, data.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        count = ctypes.cast(net, ctypes.POINTER(ctypes.c_int))[0]  # network.n comes first
        outputs = []
        for i in range(count):
            im = lib.get_network_image_layer(net, i)
            flat = np.ctypeslib.as_array(im.data, shape=(im.c * im.h * im.w,))
            outputs.append(flat.reshape(im.c, im.h, im.w).copy())
        return outputs
    finally:
        lib.free_network(net)
