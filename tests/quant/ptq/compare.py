"""Shared checks of the PTQ loader tests."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import torch


def onnxruntime_outputs(path, x: np.ndarray) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path))
    return session.run(None, {session.get_inputs()[0].name: x})


def outputs(module, x: np.ndarray) -> list[np.ndarray]:
    with torch.no_grad():
        out = module(torch.from_numpy(x))
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))
