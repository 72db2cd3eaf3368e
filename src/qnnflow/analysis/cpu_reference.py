"""The one factor that carries host stage times from the build machine to the board's ARM.

QNN-MO timed Tinier-YOLO's first conv in numpy on the PYNQ-Z2 at 261 ms (`ps.numpy_conv0_ms`
in board.yaml). That conv is 3->16 channels, 3x3, stride 2, pad 1 on the 416x416 image
(16x208x208 out: 18.7 M MAC; the 74.8 M MAC sometimes quoted is the stride-1 count), and
QNN-MO computes it the way its `qnn/utils.py` does: build three integer index arrays for the
windows, zero-pad, gather the [27, 208*208] columns by fancy indexing, transpose/reshape
them, one float32 matmul with the [16, 27] weights, plus the bias. `reference_conv0` is our
own implementation of that same algorithm on the same geometry, so the two machines are
compared on the same mix of index arithmetic, memory gathers and BLAS that the host stages
are made of (a BLAS-only reference would make this machine look ~10x faster than it is on
elementwise numpy). The board runs numpy on one core, so the reference and every host stage
are timed with BLAS limited to one thread (threadpoolctl), and

    factor = board_ms(conv0) / here_ms(conv0),    stage_board_ms = stage_here_ms * factor.

The local time is the minimum of runs taken just before and just after the stages are timed,
and every stage part is the minimum of its runs too: the minimum is the standard statistic
for noisy timing (other processes only ever add time), and it keeps the factor from swinging
with the load of a shared build machine the way a median does.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from qnnflow.boards import Board
from qnnflow.errors import QnnflowError
from qnnflow.util.checks import positive_finite

CONV0 = {"in_channels": 3, "out_channels": 16, "kernel": 3, "size": 416, "stride": 2, "pad": 1}
CONV0_MACS = 208 * 208 * 16 * 3 * 3 * 3  # 18,690,048


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


def conv0_operands(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded float32 image [1, 416, 416, 3] (NHWC, as QNN-MO passes it), weights
    [16, 3, 3, 3] and bias [16] of the reference conv."""
    rng = np.random.default_rng(seed)
    c, k, n = CONV0["in_channels"], CONV0["kernel"], CONV0["size"]
    image = rng.random((1, n, n, c), dtype=np.float32)
    weights = rng.standard_normal((CONV0["out_channels"], c, k, k)).astype(np.float32)
    bias = rng.standard_normal(CONV0["out_channels"]).astype(np.float32)
    return image, weights, bias


def _window_indexes(channels: int, size: int, k: int, stride: int, out: int) -> tuple:
    """(channel, row, column) index arrays [C*k*k, out*out] of every window element."""
    channel = np.repeat(np.arange(channels), k * k).reshape(-1, 1)
    rows = np.tile(np.repeat(np.arange(k), k), channels).reshape(-1, 1)
    rows = rows + stride * np.repeat(np.arange(out), out).reshape(1, -1)
    cols = np.tile(np.arange(k), k * channels).reshape(-1, 1)
    cols = cols + stride * np.tile(np.arange(out), out).reshape(1, -1)
    return channel, rows, cols


def reference_conv0(
    image: np.ndarray, weights: np.ndarray, bias: np.ndarray, stride: int = 2, pad: int = 1
) -> np.ndarray:
    """QNN-MO's numpy conv: NHWC [1, H, W, C] image -> [F, OH, OW] (index-array im2col,
    fancy-index gather, one matmul, bias), float32."""
    x = image.transpose(0, 3, 1, 2)
    filters, channels, k, _ = weights.shape
    size = x.shape[-1]
    out = (size + 2 * pad - k) // stride + 1
    indexes = _window_indexes(channels, size, k, stride, out)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    columns = padded[:, indexes[0], indexes[1], indexes[2]]
    columns = columns.transpose(1, 2, 0).reshape(k * k * channels, -1)
    result = np.matmul(weights.reshape(filters, -1), columns) + bias[:, None]
    return result.reshape(filters, out, out)


WARM_HEAP_BYTES = 16 * 2**20  # above every buffer of the reference, below glibc's 32 MiB cap


def warm_heap() -> None:
    """Allocate and free one 16 MiB buffer first. A long-running process (the board's
    Jupyter kernel, a build that has loaded its model) reuses heap memory for the conv's
    multi-MiB temporaries; a fresh one gets each from mmap and pays its page faults on every
    call (about half the time here): glibc raises its mmap threshold to a freed mmap'd
    chunk's size, so after this the temporaries come from the reused heap either way."""
    np.ones(WARM_HEAP_BYTES // 8, dtype=np.float64)


def conv0_samples_ms(repeats: int) -> list[float]:
    """This machine's times for the reference conv0 on one core, in ms."""
    image, weights, bias = conv0_operands()
    warm_heap()
    with one_thread():
        return samples_ms(lambda: reference_conv0(image, weights, bias), repeats)


def one_thread():
    """BLAS (and OpenMP) limited to one thread: numpy on the board runs on one core."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


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
