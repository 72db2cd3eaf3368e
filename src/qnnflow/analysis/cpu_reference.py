"""The one factor that carries host stage times from the build machine to the board's ARM.

QNN-MO timed Tinier-YOLO's first conv in numpy on the PYNQ-Z2 (3->16 channels, 3x3 kernel,
416x416 input, stride 1, 74.8 M MAC): 261 ms. The build times the same conv here, computed
as `reference_conv0` does (im2col: the 9 shifted views of the zero-padded float32 input
stacked into a [416*416, 27] matrix, then one float32 matmul with the [27, 16] weights),
and every host stage is scaled by

    factor = board_ms(conv0) / here_ms(conv0),    stage_board_ms = stage_here_ms * factor.

The board's number is data (`ps.numpy_conv0_ms` in board.yaml); the local one is the
minimum of runs taken just before and just after the stages are timed, and every stage part
is the minimum of its runs too: the minimum is the standard statistic for noisy timing
(other processes only ever add time), and it keeps the factor from swinging with the load
of a shared build machine the way a median does.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from qnnflow.boards import Board
from qnnflow.errors import QnnflowError
from qnnflow.util.checks import positive_finite

CONV0 = {"in_channels": 3, "out_channels": 16, "kernel": 3, "size": 416, "stride": 1}
CONV0_MACS = 416 * 416 * 16 * 3 * 3 * 3  # 74,760,192: the 74.8 M MAC of QNN-MO's conv0


def samples_ms(work: Callable[[], object], repeats: int) -> list[float]:
    """Wall times of `repeats` calls of `work` in ms, after one warm-up call (the first
    call pays for allocations and caches that later frames do not)."""
    if repeats < 1:
        raise QnnflowError(f"timing needs at least one repeat, got {repeats}")
    work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(1e3 * (time.perf_counter() - began))
    return times


def median_ms(work: Callable[[], object], repeats: int) -> float:
    """Median wall time of `work` in ms over `repeats` timed calls."""
    return statistics.median(samples_ms(work, repeats))


def typical_ms(samples: list[float]) -> float:
    """The statistic every host time and the conv0 reference use: the minimum."""
    return min(samples)


def best_ms(work: Callable[[], object], repeats: int) -> float:
    """`typical_ms` of `repeats` timed calls of `work`."""
    return typical_ms(samples_ms(work, repeats))


def conv0_operands(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded float32 input [3, 416, 416] and weights [16, 3, 3, 3] of the reference conv."""
    rng = np.random.default_rng(seed)
    c, k, n = CONV0["in_channels"], CONV0["kernel"], CONV0["size"]
    image = rng.random((c, n, n), dtype=np.float32)
    weights = rng.standard_normal((CONV0["out_channels"], c, k, k)).astype(np.float32)
    return image, weights


def reference_conv0(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Stride-1 'same' conv as im2col + matmul in float32: [C, H, W] -> [F, H, W]."""
    channels, height, width = image.shape
    filters, _, k, _ = weights.shape
    pad = k // 2
    padded = np.pad(image, ((0, 0), (pad, pad), (pad, pad)))
    columns = np.stack(
        [padded[:, dy : dy + height, dx : dx + width] for dy in range(k) for dx in range(k)],
        axis=1,
    )  # [C, k*k, H, W], matching the weights' (c, dy, dx) order
    matrix = columns.reshape(channels * k * k, height * width).T  # [H*W, C*k*k]
    out = matrix @ weights.reshape(filters, -1).T  # [H*W, F]
    return out.T.reshape(filters, height, width)


def conv0_samples_ms(repeats: int) -> list[float]:
    """This machine's times for the reference conv0, in ms."""
    image, weights = conv0_operands()
    return samples_ms(lambda: reference_conv0(image, weights), repeats)


def conv0_board_ms(board: Board) -> float:
    """The board's measured numpy conv0 time (`ps.numpy_conv0_ms`), or a QnnflowError."""
    value = (board.extra.get("ps") or {}).get("numpy_conv0_ms")
    if value is None:
        raise QnnflowError(
            f"board '{board.name}' has no ps.numpy_conv0_ms in {board.path}: the end-to-end "
            "estimate needs the board's numpy conv0 time to scale host stages"
        )
    return positive_finite(value, f"{board.path}: ps.numpy_conv0_ms")


def board_factor(board_ms: float, here_ms: float) -> float:
    """How many times slower the board runs the reference than this machine."""
    board = positive_finite(board_ms, "the board's conv0 time (ms)")
    return board / positive_finite(here_ms, "this machine's conv0 time (ms)")


def host_cores(board: Board) -> int:
    """The board's host cores (`ps.cores`, 1 when not given: no overlap of host stages)."""
    cores = (board.extra.get("ps") or {}).get("cores", 1)
    if not isinstance(cores, int) or cores < 1:
        raise QnnflowError(f"{board.path}: ps.cores must be a positive integer, got {cores!r}")
    return cores
