"""An independent numpy model of Darknet's inference forward pass, written from Darknet's C
semantics (parse_network_cfg, load_weights, forward_*_layer) and sharing no code with
qnnflow's importer: its own cfg reader, its own weights reader, float64 arithmetic."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def read_sections(path: Path) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in Path(path).read_text().splitlines():
        line = "".join(raw.split())
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            sections.append((line[1:-1], {}))
        else:
            key, value = line.split("=", 1)
            sections[-1][1][key] = value
    return sections


def _int(opts: dict, key: str, default: int) -> int:
    return int(opts.get(key, default))


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def conv_shapes(sections, channels: int) -> list[tuple[int, int, int, bool]]:
    """(filters, input channels per group, size, batch_normalize) of every conv, in order."""
    shapes, out_channels = [], []
    for index, (name, opts) in enumerate(sections[1:]):
        c_in = out_channels[-1] if out_channels else channels
        if name == "convolutional":
            n, k, g = _int(opts, "filters", 1), _int(opts, "size", 1), _int(opts, "groups", 1)
            shapes.append((n, c_in // g, k, bool(_int(opts, "batch_normalize", 0))))
            out_channels.append(n)
        elif name == "route":
            srcs = [r + index if r < 0 else r for r in _ints(opts["layers"])]
            out_channels.append(sum(out_channels[s] // _int(opts, "groups", 1) for s in srcs))
        else:
            out_channels.append(c_in)
    return shapes


def read_weights(path: Path, sections, channels: int) -> list[dict]:
    """Per conv layer (in cfg order): biases, scales, mean, variance, weights [n, c/g, k, k]."""
    data = Path(path).read_bytes()
    major, minor, _ = struct.unpack_from("<3i", data, 0)
    offset = 20 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 16
    floats = np.frombuffer(data, "<f4", offset=offset).astype(np.float64)
    pos, params = 0, []
    for n, cg, k, bn in conv_shapes(sections, channels):
        p = {"biases": floats[pos : pos + n]}
        pos += n
        for key in ("scales", "mean", "variance") if bn else ():
            p[key] = floats[pos : pos + n]
            pos += n
        p["weights"] = floats[pos : pos + n * cg * k * k].reshape(n, cg, k, k)
        pos += n * cg * k * k
        params.append(p)
    assert pos == floats.size, f"weights file has {floats.size} floats, cfg needs {pos}"
    return params


def write_random_weights(cfg: Path, path: Path, seed: int, channels: int = 3) -> None:
    """A Darknet weights file (v0.2, 64-bit seen) with He-scaled weights and BN statistics
    that include tiny variances, where sqrt(var + eps) and sqrt(var) + eps differ."""
    rng = np.random.default_rng(seed)
    chunks = [struct.pack("<3iq", 0, 2, 0, 0)]
    for n, cg, k, bn in conv_shapes(read_sections(cfg), channels):
        arrays = [rng.normal(0, 0.1, n)]
        if bn:
            variance = rng.uniform(0.5, 1.5, n)
            variance[:: max(1, n // 3)] = 1e-9
            arrays += [
                rng.uniform(0.5, 1.5, n) * np.where(variance < 1e-6, 1e-3, 1.0),
                rng.normal(0, 0.1, n),
                variance,
            ]
        arrays.append(rng.normal(0, np.sqrt(2.0 / (cg * k * k)), (n, cg, k, k)))
        chunks += [np.asarray(a, "<f4").tobytes() for a in arrays]
    Path(path).write_bytes(b"".join(chunks))


def activate(x: np.ndarray, name: str) -> np.ndarray:
    if name == "leaky":
        return np.where(x > 0, x, 0.1 * x)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "logistic":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))
    assert name == "linear", name
    return x


def conv2d(x: np.ndarray, w: np.ndarray, stride: int, pad: int, groups: int) -> np.ndarray:
    """Cross-correlation, zero padding, via an explicit im2col per group."""
    c, h, wd = x.shape
    n, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, oh, ow))
    ng = n // groups
    for g in range(groups):
        cols = np.empty((cg, k, k, oh, ow))
        for ky in range(k):
            for kx in range(k):
                cols[:, ky, kx] = xp[
                    g * cg : (g + 1) * cg,
                    ky : ky + stride * oh : stride,
                    kx : kx + stride * ow : stride,
                ][:, :oh, :ow]
        wg = w[g * ng : (g + 1) * ng].reshape(ng, -1)
        out[g * ng : (g + 1) * ng] = (wg @ cols.reshape(cg * k * k, -1)).reshape(ng, oh, ow)
    return out


def maxpool(x: np.ndarray, size: int, stride: int, padding: int) -> np.ndarray:
    """Darknet forward_maxpool_layer: window i starts at i*stride - padding/2; cells outside
    the image are skipped."""
    c, h, w = x.shape
    oh, ow = (h + padding - size) // stride + 1, (w + padding - size) // stride + 1
    offset = -(padding // 2)
    out = np.full((c, oh, ow), -np.inf)
    for i in range(oh):
        for j in range(ow):
            for n in range(size):
                for m in range(size):
                    y, xx = offset + i * stride + n, offset + j * stride + m
                    if 0 <= y < h and 0 <= xx < w:
                        out[:, i, j] = np.maximum(out[:, i, j], x[:, y, xx])
    return out


def binarize(w: np.ndarray) -> np.ndarray:
    mean = np.abs(w).reshape(w.shape[0], -1).mean(axis=1).reshape(-1, 1, 1, 1)
    return np.where(w > 0, mean, -mean)


def region(x: np.ndarray, opts: dict) -> np.ndarray:
    num, classes = _int(opts, "num", 1), _int(opts, "classes", 20)
    coords = _int(opts, "coords", 4)
    out = x.copy()
    step = coords + 1 + classes
    for a in range(num):
        base = a * step
        for entry in (0, 1, coords):
            out[base + entry] = activate(x[base + entry], "logistic")
        if _int(opts, "softmax", 0):
            logits = x[base + coords + 1 : base + step]
            e = np.exp(logits - logits.max(axis=0))
            out[base + coords + 1 : base + step] = e / e.sum(axis=0)
    return out


def yolo(x: np.ndarray, opts: dict) -> np.ndarray:
    classes = _int(opts, "classes", 20)
    masked = len(_ints(opts["mask"])) if "mask" in opts else _int(opts, "num", 1)
    out = x.copy()
    for a in range(masked):
        base = a * (5 + classes)
        for entry in [0, 1, *range(4, 5 + classes)]:
            out[base + entry] = activate(x[base + entry], "logistic")
    return out


def darknet_forward(
    cfg: Path, weights: Path, image: np.ndarray, binary_mode: str = "float"
) -> list[np.ndarray]:
    """Every layer's output (C, H, W) for one CHW image, as Darknet computes it."""
    sections = read_sections(cfg)
    params = iter(read_weights(weights, sections, image.shape[0]))
    outputs: list[np.ndarray] = []
    x = image.astype(np.float64)
    for index, (name, opts) in enumerate(sections[1:]):
        if name == "convolutional":
            p = next(params)
            k = _int(opts, "size", 1)
            pad = k // 2 if _int(opts, "pad", 0) else _int(opts, "padding", 0)
            w = p["weights"]
            inp = x
            if binary_mode == "darknet" and (_int(opts, "binary", 0) or _int(opts, "xnor", 0)):
                w = binarize(w)
            if binary_mode == "darknet" and _int(opts, "xnor", 0):
                inp = np.where(x > 0, 1.0, -1.0)
            y = conv2d(inp, w, _int(opts, "stride", 1), pad, _int(opts, "groups", 1))
            if _int(opts, "batch_normalize", 0):
                y = (y - p["mean"][:, None, None]) / (np.sqrt(p["variance"]) + 0.000001)[
                    :, None, None
                ]
                y = y * p["scales"][:, None, None]
            y = y + p["biases"][:, None, None]
            x = activate(y, opts.get("activation", "logistic"))
        elif name == "maxpool":
            stride = _int(opts, "stride", 1)
            size = _int(opts, "size", stride)
            x = maxpool(x, size, stride, _int(opts, "padding", size - 1))
        elif name == "route":
            groups, gid = _int(opts, "groups", 1), _int(opts, "group_id", 0)
            parts = []
            for r in _ints(opts["layers"]):
                src = outputs[r + index if r < 0 else r]
                chunk = src.shape[0] // groups
                parts.append(src[gid * chunk : (gid + 1) * chunk])
            x = np.concatenate(parts, axis=0)
        elif name == "upsample":
            s = _int(opts, "stride", 2)
            x = x.repeat(s, axis=1).repeat(s, axis=2) * float(opts.get("scale", 1))
        elif name == "shortcut":
            r = int(opts["from"])
            x = activate(x + outputs[r + index if r < 0 else r], opts.get("activation", "linear"))
        elif name == "region":
            x = region(x, opts)
        elif name == "yolo":
            x = yolo(x, opts)
        else:
            raise ValueError(f"reference does not implement [{name}]")
        outputs.append(x)
    return outputs
