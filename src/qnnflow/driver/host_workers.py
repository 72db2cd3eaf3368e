"""Host work of different frames in parallel: frames are independent, so N worker
processes (one per ARM core on the board) each load, letterbox and quantize a frame (pre)
and decode + NMS another frame's outputs (post), while the parent process only drives the
accelerator (pack, DMA, unpack), one frame after another in order.

The parent keeps at most 2N frames in the workers' hands and hands results back in the order
of the images, identical to the sequential run (the same code runs on the same data in
another process). Host throughput is then `cores / (pre + post)` per frame, the model of
`qnnflow.analysis.end_to_end`. Workers are spawned, not forked, so they never inherit the
parent's overlay, DMA buffers or driver handles. Standard library + numpy only.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator

from qnnflow.driver.pipeline import DetectionPipeline, HostStages, PipelineResult

_HOST: HostStages | None = None  # the worker process's host stages (set by _start)


def _start(host: HostStages) -> None:
    global _HOST
    _HOST = host


def _pre(path: str):
    return _HOST.pre_file(path)


def _post(region_outs, shape) -> PipelineResult:
    return _HOST.post(region_outs, shape)


def run_with_workers(
    pipeline: DetectionPipeline, paths: list, workers: int
) -> Iterator[PipelineResult]:
    """Results of `paths` in order; pre and post in `workers` processes, the accelerator here."""
    context = multiprocessing.get_context("spawn")
    paths = [str(p) for p in paths]
    window = 2 * workers
    with context.Pool(workers, initializer=_start, initargs=(pipeline.host_stages(),)) as pool:
        pres = deque(pool.apply_async(_pre, (p,)) for p in paths[:window])
        posts: deque = deque()
        following = window
        for _ in paths:
            region_in, shape, pre_times = pres.popleft().get()
            if following < len(paths):
                pres.append(pool.apply_async(_pre, (paths[following],)))
                following += 1
            region_outs, accel_times = pipeline.accelerate(region_in)
            posts.append((pool.apply_async(_post, (region_outs, shape)), pre_times, accel_times))
            while posts and (posts[0][0].ready() or len(posts) > window):
                yield _finish(*posts.popleft())
        while posts:
            yield _finish(*posts.popleft())


def _finish(pending, pre_times: dict, accel_times: dict) -> PipelineResult:
    result = pending.get()
    result.seconds = {**pre_times, **accel_times, **result.seconds}
    return result
