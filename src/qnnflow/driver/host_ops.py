"""Numpy kernels for the ops the host runs before and after the accelerator (first and last
convolutions or fully connected layers, input quantizers, layout changes), with ONNX / qonnx
semantics in float32.

Only what the project's detectors leave on the host is here; anything else is refused by
`HostGraph` with the op and node name rather than guessed. Convolution is im2col + one
matrix product per group, so the ARM's BLAS does the work. Numpy only: this runs on the board.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from qnnflow.errors import QnnflowError

_F32 = np.float32
Kernel = Callable[[list, dict], np.ndarray]


def _spatial(attrs: dict, key: str, default: int, rank: int) -> list[int]:
    return [int(v) for v in attrs.get(key, [default] * rank)]


def _pads(attrs: dict, rank: int) -> list[tuple[int, int]]:
    if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise QnnflowError(f"auto_pad={attrs['auto_pad']} is not supported (use explicit pads)")
    pads = _spatial(attrs, "pads", 0, 2 * rank)
    return [(pads[i], pads[i + rank]) for i in range(rank)]


def _windows(x: np.ndarray, kernel: list[int], strides: list[int], dilations: list[int]):
    """[N, C, H, W] (already padded) -> [N, C, OH, OW, KH, KW] strided view of its windows."""
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilations, strict=True)]
    if any(s > n for s, n in zip(spans, x.shape[2:], strict=True)):
        raise QnnflowError(f"kernel {kernel} does not fit the padded input {list(x.shape[2:])}")
    view = sliding_window_view(x, spans, axis=(2, 3))
    return view[:, :, :: strides[0], :: strides[1], :: dilations[0], :: dilations[1]]


def conv(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX Conv (2-D, NCHW, groups, strides, pads, dilations) as im2col + matmul."""
    x, w = np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32)
    bias = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    if x.ndim != 4 or w.ndim != 4:
        raise QnnflowError(f"only 2-D convolutions (NCHW) are supported, got input {x.shape}")
    group = int(attrs.get("group", 1))
    kernel = _spatial(attrs, "kernel_shape", 0, 2) if "kernel_shape" in attrs else w.shape[2:]
    if list(kernel) != list(w.shape[2:]):
        raise QnnflowError(f"kernel_shape {list(kernel)} != weight shape {list(w.shape)}")
    if x.shape[1] != w.shape[1] * group:
        raise QnnflowError(
            f"input has {x.shape[1]} channels, weights expect {w.shape[1]} x {group} groups"
        )
    padded = np.pad(x, [(0, 0), (0, 0), *_pads(attrs, 2)])
    win = _windows(
        padded,
        list(w.shape[2:]),
        _spatial(attrs, "strides", 1, 2),
        _spatial(attrs, "dilations", 1, 2),
    )
    n, _, oh, ow, kh, kw = win.shape
    per_in, per_out = w.shape[1], w.shape[0] // group
    outs = []
    for g in range(group):
        cols = win[:, g * per_in : (g + 1) * per_in].transpose(0, 2, 3, 1, 4, 5)
        cols = cols.reshape(n * oh * ow, per_in * kh * kw)
        mat = w[g * per_out : (g + 1) * per_out].reshape(per_out, -1)
        outs.append(cols @ mat.T)
    y = np.concatenate(outs, axis=1).reshape(n, oh, ow, w.shape[0]).transpose(0, 3, 1, 2)
    if bias is not None:
        y = y + np.asarray(bias, _F32).reshape(1, -1, 1, 1)
    return np.ascontiguousarray(y, dtype=_F32)


def max_pool(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX MaxPool (2-D, NCHW); padded cells are -inf so they never win."""
    x = np.asarray(inputs[0], _F32)
    if int(attrs.get("ceil_mode", 0)):
        raise QnnflowError("MaxPool ceil_mode=1 is not supported (the importer uses pads)")
    kernel = _spatial(attrs, "kernel_shape", 1, 2)
    padded = np.pad(x, [(0, 0), (0, 0), *_pads(attrs, 2)], constant_values=-np.inf)
    win = _windows(
        padded, kernel, _spatial(attrs, "strides", 1, 2), _spatial(attrs, "dilations", 1, 2)
    )
    return win.max(axis=(4, 5)).astype(_F32)


def batch_norm(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX BatchNormalization in inference mode."""
    x, scale, bias, mean, var = (np.asarray(v, _F32) for v in inputs[:5])
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = _F32(attrs.get("epsilon", 1e-5))
    std = np.sqrt(var + eps).reshape(shape)
    return ((x - mean.reshape(shape)) / std * scale.reshape(shape) + bias.reshape(shape)).astype(
        _F32
    )


def multithreshold(inputs: list, attrs: dict) -> np.ndarray:
    """qonnx MultiThreshold: out = out_scale * count(x >= t_i) + out_bias, channel axis 1
    (or C of `data_layout`), thresholds [C or 1, T]."""
    x, thresholds = np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32)
    layout = attrs.get("data_layout") or {2: "NC", 3: "NWC", 4: "NCHW"}.get(x.ndim, "NC")
    axis = layout.index("C") if "C" in layout else 1
    moved = np.moveaxis(x, axis, -1)
    if thresholds.shape[0] not in (1, moved.shape[-1]):
        raise QnnflowError(f"{thresholds.shape[0]} threshold rows for {moved.shape[-1]} channels")
    count = np.zeros(moved.shape, dtype=_F32)
    for step in range(thresholds.shape[1]):
        count += moved >= thresholds[:, step]
    out = _F32(attrs.get("out_scale", 1.0)) * count + _F32(attrs.get("out_bias", 0.0))
    return np.moveaxis(out, -1, axis).astype(_F32)


def uniform_row(table: np.ndarray) -> np.ndarray:
    """The one sorted threshold row a UniformThreshold shares over all channels, or an error."""
    table = np.asarray(table, _F32)
    t = table.reshape(-1, table.shape[-1])[0] if table.ndim else table.reshape(1)
    if table.ndim != 2 or (table != t).any() or (np.diff(t) < 0).any():
        raise QnnflowError("UniformThreshold needs one sorted threshold row shared by all channels")
    return t


def uniform_counts(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """count(x >= t_i) per element for a sorted, near-evenly spaced row `t`: one multiply-add,
    a floor and a clip make the guess, then the stored thresholds check it (t[c-1] <= x <
    t[c]) and the few elements off by rounding are corrected, so the counts equal the T
    compares bit for bit (values exactly on a threshold, NaN -> 0, +-inf too). uint8 counts
    when there are at most 255 thresholds."""
    x = np.asarray(x, _F32)
    levels = t.size
    step = float(t[-1] - t[0]) / (levels - 1) if levels > 1 else 1.0
    inv = 1.0 / step if step > 0 else 1.0
    guess = np.multiply(x, _F32(inv))
    np.add(guess, _F32(1.0 - float(t[0]) * inv), out=guess)  # = (x - t0) / step + 1
    np.floor(guess, out=guess)
    np.clip(guess, _F32(0), _F32(levels), out=guess)
    with np.errstate(invalid="ignore"):  # NaN casts to anything: the check below catches it
        count = guess.astype(np.uint8 if levels < 256 else np.intp)
    below = np.concatenate([[-np.inf], t]).astype(_F32)  # t[c - 1], -inf for c = 0
    above = np.concatenate([t, [np.inf]]).astype(_F32)  # t[c], +inf for c = levels
    right = np.greater_equal(x, below.take(count))  # False for NaN
    wrong = np.flatnonzero(np.less_equal(right, np.greater_equal(x, above.take(count))))
    if wrong.size:  # rare: rounding of the guess next to a threshold
        flat = count.reshape(-1)
        values = x.reshape(-1)[wrong]
        exact = np.searchsorted(t, values, side="right")  # count(t_i <= x)
        flat[wrong] = np.where(np.isnan(values), 0, exact)
    return count


def uniform_threshold(inputs: list, attrs: dict) -> np.ndarray:
    """MultiThreshold with one row of evenly spaced thresholds (an input quantizer's
    (k - 0.5) / 255 steps) as one floor per element instead of T compares (`uniform_counts`),
    equal to `multithreshold` bit for bit, values exactly on a threshold too."""
    count = uniform_counts(inputs[0], uniform_row(inputs[1]))
    out = _F32(attrs.get("out_scale", 1.0)) * count.astype(_F32) + _F32(attrs.get("out_bias", 0.0))
    return out.astype(_F32)


_ROUNDING = {
    "ROUND": np.round,
    "HALF_EVEN": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "DOWN": np.trunc,
    "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
    "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - 0.5),
}


def quant(inputs: list, attrs: dict) -> np.ndarray:
    """qonnx Quant: clamp(x/scale + zeropt) to the integer range, round, undo zeropt, rescale."""
    x, scale, zeropt, bits = (np.asarray(v, _F32) for v in inputs[:4])
    signed, narrow = int(attrs.get("signed", 1)), int(attrs.get("narrow", 0))
    mode = str(attrs.get("rounding_mode", "ROUND")).upper()
    if mode not in _ROUNDING:
        raise QnnflowError(f"Quant rounding_mode {mode} is not supported")
    b = float(bits)
    y = x / scale + zeropt
    if b == 1 and signed:
        y = np.where(y >= 0, _F32(1), _F32(-1))
    else:
        low = -(2 ** (b - 1)) + (1 if narrow else 0) if signed else 0.0
        high = 2 ** (b - 1) - 1 if signed else 2**b - 1 - (1 if narrow else 0)
        y = _ROUNDING[mode](np.clip(y, _F32(low), _F32(high)))
    return ((y - zeropt) * scale).astype(_F32)


def bipolar_quant(inputs: list, attrs: dict) -> np.ndarray:
    """qonnx BipolarQuant: sign (0 -> +1) times scale."""
    x, scale = np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32)
    return (np.where(x / scale >= 0, _F32(1), _F32(-1)) * scale).astype(_F32)


def _binary(fn: Callable) -> Kernel:
    return lambda inputs, attrs: fn(np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32))


def clip(inputs: list, attrs: dict) -> np.ndarray:
    x = np.asarray(inputs[0], _F32)
    low = inputs[1] if len(inputs) > 1 and inputs[1] is not None else attrs.get("min")
    high = inputs[2] if len(inputs) > 2 and inputs[2] is not None else attrs.get("max")
    if low is not None:
        x = np.maximum(x, _F32(low))
    if high is not None:
        x = np.minimum(x, _F32(high))
    return x


def transpose(inputs: list, attrs: dict) -> np.ndarray:
    x = np.asarray(inputs[0])
    perm = attrs.get("perm", list(range(x.ndim))[::-1])
    return np.ascontiguousarray(x.transpose(perm))


def reshape(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX Reshape: 0 copies the input's dimension (allowzero=0), -1 is inferred."""
    x, shape = np.asarray(inputs[0]), [int(v) for v in np.asarray(inputs[1]).reshape(-1)]
    target = [
        x.shape[i] if v == 0 and not attrs.get("allowzero") else v for i, v in enumerate(shape)
    ]
    return x.reshape(target)


def gemm(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX Gemm: alpha * A' @ B' + beta * C, A' and B' transposed when transA/transB."""
    a, b = np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32)
    if a.ndim != 2 or b.ndim != 2:
        raise QnnflowError(f"Gemm needs 2-D inputs, got {list(a.shape)} and {list(b.shape)}")
    a = a.T if int(attrs.get("transA", 0)) else a
    b = b.T if int(attrs.get("transB", 0)) else b
    if a.shape[1] != b.shape[0]:
        raise QnnflowError(f"Gemm shapes {list(a.shape)} @ {list(b.shape)} do not match")
    y = _F32(attrs.get("alpha", 1.0)) * (a @ b)
    if len(inputs) > 2 and inputs[2] is not None:
        y = y + _F32(attrs.get("beta", 1.0)) * np.asarray(inputs[2], _F32)
    return np.ascontiguousarray(y, dtype=_F32)


def matmul(inputs: list, attrs: dict) -> np.ndarray:
    """ONNX MatMul (numpy matmul semantics: batched, broadcast leading axes)."""
    a, b = np.asarray(inputs[0], _F32), np.asarray(inputs[1], _F32)
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise QnnflowError(f"MatMul shapes {list(a.shape)} @ {list(b.shape)} do not match")
    return np.ascontiguousarray(np.matmul(a, b), dtype=_F32)


def _logistic(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(_F32)


KERNELS: dict[str, Kernel] = {
    "Conv": conv,
    "Gemm": gemm,
    "MatMul": matmul,
    "MaxPool": max_pool,
    "BatchNormalization": batch_norm,
    "MultiThreshold": multithreshold,
    "UniformThreshold": uniform_threshold,
    "Quant": quant,
    "BipolarQuant": bipolar_quant,
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _binary(np.divide),
    "Relu": lambda inputs, attrs: np.maximum(np.asarray(inputs[0], _F32), _F32(0)),
    "LeakyRelu": lambda inputs, attrs: (
        lambda x: np.where(x >= 0, x, x * _F32(attrs.get("alpha", 0.01)))
    )(np.asarray(inputs[0], _F32)),
    "Sigmoid": lambda inputs, attrs: _logistic(np.asarray(inputs[0], _F32)),
    "Clip": clip,
    "Round": lambda inputs, attrs: np.round(np.asarray(inputs[0], _F32)),
    "Transpose": transpose,
    "Reshape": reshape,
    "Identity": lambda inputs, attrs: np.asarray(inputs[0]),
    "Concat": lambda inputs, attrs: np.concatenate(
        [np.asarray(v, _F32) for v in inputs], axis=int(attrs["axis"])
    ),
}
