"""Read and write Darknet .weights files; sizes are checked against the cfg before any use."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.errors import DarknetError
from qnnflow.frontend.darknet.layers import ConvLayer, DarknetNetwork
from qnnflow.util.atomic import atomic_write_bytes

FLOAT = np.dtype("<f4")


@dataclass
class ConvParams:
    """One convolutional layer's parameters, in file order (weights are OIHW)."""

    biases: np.ndarray
    weights: np.ndarray
    scales: np.ndarray | None = None
    rolling_mean: np.ndarray | None = None
    rolling_variance: np.ndarray | None = None

    @property
    def batch_normalize(self) -> bool:
        return self.scales is not None

    def arrays(self) -> list[np.ndarray]:
        """The arrays in the order Darknet stores them."""
        bn = [self.scales, self.rolling_mean, self.rolling_variance] if self.batch_normalize else []
        return [self.biases, *bn, self.weights]


@dataclass
class DarknetWeights:
    """Header plus one ConvParams per [convolutional] layer, keyed by layer index."""

    major: int = 0
    minor: int = 2
    revision: int = 0
    seen: int = 0
    layers: dict[int, ConvParams] = field(default_factory=dict)

    @property
    def seen_is_64bit(self) -> bool:
        return self.major * 10 + self.minor >= 2 and self.major < 1000 and self.minor < 1000

    @property
    def header_bytes(self) -> int:
        return 12 + (8 if self.seen_is_64bit else 4)


def _conv_arrays(layer: ConvLayer, flat: np.ndarray) -> ConvParams:
    n = layer.filters
    parts = [flat[:n]]
    offset = n
    if layer.batch_normalize:
        parts += [flat[offset : offset + n], flat[offset + n : offset + 2 * n]]
        parts.append(flat[offset + 2 * n : offset + 3 * n])
        offset += 3 * n
    weights = flat[offset:].reshape(layer.weight_shape)
    if layer.batch_normalize:
        return ConvParams(parts[0], weights, parts[1], parts[2], parts[3])
    return ConvParams(parts[0], weights)


def parse_weights(data: bytes, network: DarknetNetwork, path: str = "<weights>") -> DarknetWeights:
    """Split raw .weights bytes into per-layer arrays, checking the size against the cfg."""
    if len(data) < 16:
        raise DarknetError(f"file has {len(data)} bytes, shorter than the 16-byte header", path)
    major, minor, revision = struct.unpack_from("<3i", data, 0)
    out = DarknetWeights(major=major, minor=minor, revision=revision)
    if out.seen_is_64bit:
        if len(data) < 20:
            raise DarknetError(f"file has {len(data)} bytes, shorter than the 20-byte header", path)
        (out.seen,) = struct.unpack_from("<q", data, 12)
    else:
        (out.seen,) = struct.unpack_from("<i", data, 12)
    body = len(data) - out.header_bytes
    if body % 4:
        raise DarknetError(f"{body} bytes after the header is not a whole number of floats", path)
    available = body // 4
    needed = sum(layer.num_weight_floats for layer in network.conv_layers)
    floats = np.frombuffer(data, dtype=FLOAT, offset=out.header_bytes)
    offset = 0
    for layer in network.conv_layers:
        count = layer.num_weight_floats
        if offset + count > available:
            raise DarknetError(
                f"truncated: the cfg needs {needed} floats after the "
                f"{out.header_bytes}-byte header "
                f"but the file has {available}; {layer.describe()} needs floats "
                f"[{offset}, {offset + count}) and the file ends at {available}",
                path,
            )
        out.layers[layer.index] = _conv_arrays(layer, floats[offset : offset + count].copy())
        offset += count
    if available != needed:
        raise DarknetError(
            f"too long: the cfg needs {needed} floats after the header but the file has "
            f"{available} ({available - needed} extra); is it the weights of another cfg?",
            path,
        )
    return out


ARRAY_NAMES = ("biases", "scales", "rolling_mean", "rolling_variance", "weights")


def check_weight_values(weights: DarknetWeights, network: DarknetNetwork, path: str) -> None:
    """Refuse values no import can use: NaN/Inf anywhere, a negative rolling variance (Darknet
    takes its square root); the message names the layer index, its cfg line and the array."""
    for layer in network.conv_layers:
        params = weights.layers.get(layer.index)
        if params is None:
            continue
        for name in ARRAY_NAMES:
            values = getattr(params, name)
            if values is None:
                continue
            bad = ~np.isfinite(values)
            if bad.any():
                first = int(np.flatnonzero(bad.ravel())[0])
                raise DarknetError(
                    f"{layer.describe()}: {name} has {int(np.isnan(values).sum())} NaN and "
                    f"{int(np.isinf(values).sum())} Inf of {values.size} values (first at flat "
                    f"index {first}); weights must be finite",
                    path,
                )
        variance = params.rolling_variance
        if variance is not None and (variance < 0).any():
            channel = int(np.flatnonzero(variance < 0)[0])
            raise DarknetError(
                f"{layer.describe()}: rolling_variance has {int((variance < 0).sum())} negative "
                f"value(s) (channel {channel}: {float(variance[channel]):g}); a variance "
                f"must be >= 0",
                path,
            )


def read_weights(path: str | Path, network: DarknetNetwork) -> DarknetWeights:
    """Read a .weights file for `network` (see parse_weights for the checks)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DarknetError(f"cannot read weights: {exc.strerror}", path) from None
    return parse_weights(data, network, str(path))


def serialize_weights(weights: DarknetWeights, network: DarknetNetwork) -> bytes:
    """Bytes of a .weights file; arrays must match the cfg's shapes."""
    chunks = [struct.pack("<3i", weights.major, weights.minor, weights.revision)]
    chunks.append(struct.pack("<q" if weights.seen_is_64bit else "<i", weights.seen))
    for layer in network.conv_layers:
        params = weights.layers.get(layer.index)
        if params is None:
            raise DarknetError(f"no parameters for {layer.describe()}")
        if params.batch_normalize != layer.batch_normalize:
            raise DarknetError(f"batch_normalize of {layer.describe()} differs from its params")
        if params.weights.shape != layer.weight_shape:
            raise DarknetError(
                f"{layer.describe()}: weights shape {params.weights.shape}, "
                f"cfg needs {layer.weight_shape}"
            )
        for arr in params.arrays():
            chunks.append(np.ascontiguousarray(arr, dtype=FLOAT).tobytes())
    return b"".join(chunks)


def write_weights(path: str | Path, weights: DarknetWeights, network: DarknetNetwork) -> None:
    """Write atomically: the file is either complete or absent."""
    atomic_write_bytes(path, serialize_weights(weights, network))
