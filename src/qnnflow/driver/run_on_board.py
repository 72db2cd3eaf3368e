"""Run a deployment package on images from a shell, on the board or here:

    cd deploy && PYTHONPATH=runtime python3 -m qnnflow.driver.run_on_board . images/dog.jpg

Prints, per image, Darknet's `PATH: Predicted in S seconds.` and `name: NN%` lines, then one
line of per-stage timings; with several images a mean and the pipeline's fps. "Predicted"
times what Darknet's network_predict covers: host layers and accelerator, not loading,
letterboxing or NMS. Images are decoded as the package records (stb_image through ctypes for
a Darknet model, as Darknet decodes; else Pillow, also used to draw with --draw). Standard
library + numpy, so no click or qonnx: it runs from the package's runtime copy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from qnnflow.driver.accelerator import DEFAULT_TIMEOUT_S
from qnnflow.driver.backend_choice import AUTO, open_accelerator
from qnnflow.driver.classify import SCORE_KIND, TOP_K, ClassifierPipeline
from qnnflow.driver.notebook_helpers import (
    IMAGES_DIR,
    draw_boxes,
    fps_line,
    list_images,
    mean_seconds,
    timing_line,
)
from qnnflow.driver.pipeline import RESIZERS, DetectionPipeline
from qnnflow.errors import QnnflowError
from qnnflow.yolo.image import DECODERS, describe_decoder, load_image

PREDICT_STAGES = ("host_prefix", "accel_pack", "accel_accelerator", "accel_unpack", "host_suffix")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m qnnflow.driver.run_on_board",
        description="Detect objects in images (a detector's package) or classify images and "
        ".npy inputs (a package without detector heads) with a qnnflow deployment package.",
    )
    p.add_argument("package", help="the package folder (holds accelerator.json)")
    p.add_argument(
        "images",
        nargs="*",
        help=f"image files, or .npy inputs for a classifier (default: PACKAGE/{IMAGES_DIR}/*)",
    )
    p.add_argument("--backend", default=AUTO, choices=(AUTO, "pynq", "sim", "python"))
    p.add_argument("--thresh", type=float, default=0.3, help="class probability threshold")
    p.add_argument("--nms", type=float, default=0.3, help="NMS IoU threshold")
    p.add_argument("--resize", default="darknet", choices=RESIZERS)
    p.add_argument(
        "--decoder",
        choices=DECODERS,
        help="image decoder (default: the package's; darknet = stb_image, compiled here from "
        "the package's shim when <stb/stb_image.h> and g++ exist, else libdarknet.so)",
    )
    p.add_argument("--top", type=int, default=TOP_K, help="classes shown (classifier only)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per batch")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="host worker processes (detector): N > 1 runs load, letterbox, quantize and "
        "decode of different frames at once on N cores while this process drives the "
        "accelerator; results identical and in order (default 1: one frame after another)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per image instead")
    p.add_argument("--draw", type=Path, metavar="DIR", help="save images with boxes into DIR")
    return p


def _images(package: Path, given: Sequence[str]) -> list[Path]:
    if given:
        return [Path(p) for p in given]
    found = list_images(package / IMAGES_DIR)
    if not found:
        raise QnnflowError(f"no images given and none in {package / IMAGES_DIR}")
    return found


def run(args: argparse.Namespace, out=None, err=None) -> int:
    """Run every image; results to `out` (stdout), the backend line to `err` (stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    package = Path(args.package)
    accelerator, choice = open_accelerator(package, args.backend, timeout=args.timeout)
    print(choice.describe(), file=err)
    if not accelerator.package.heads:
        return run_classifier(args, accelerator, out, err)
    pipeline = DetectionPipeline(
        accelerator, args.thresh, args.nms, resize=args.resize, decoder=args.decoder
    )
    print(describe_decoder(pipeline.decoder), file=err)
    if args.draw is not None:
        args.draw.mkdir(parents=True, exist_ok=True)
    results = []
    paths = _images(package, args.images)
    began = time.perf_counter()
    for path, result in zip(paths, pipeline.run_files(paths, args.workers), strict=True):
        results.append(result)
        if args.json:
            record = {"image": str(path), "detections": result.boxes, "seconds": result.seconds}
            print(json.dumps(record), file=out)
        else:
            predicted = sum(result.seconds.get(k, 0.0) for k in PREDICT_STAGES)
            print(f"{path}: Predicted in {predicted:f} seconds.", file=out)
            for line in result.lines:
                print(line, file=out)
            print(timing_line(result.seconds), file=out)
        if args.draw is not None:
            classes = pipeline.heads[0]["classes"]
            drawn = draw_boxes(load_image(path, pipeline.decoder), result.boxes, classes)
            drawn.save(args.draw / f"{Path(path).stem}_boxes.png")
    if len(results) > 1 and not args.json:
        mean = mean_seconds(results)
        print(timing_line(mean, f"mean over {len(results)} images"), file=out)
        print(fps_line(mean), file=out)
        if args.workers > 1:
            wall = time.perf_counter() - began
            print(
                f"measured with {args.workers} workers: {len(results) / wall:.2f} fps "
                f"({len(results)} images in {wall:.2f} s, loading included)",
                file=out,
            )
    return 0


def run_classifier(args: argparse.Namespace, accelerator, out, err) -> int:
    """A package without detector heads: each input's top classes by raw score."""
    if args.draw is not None:
        raise QnnflowError("--draw draws detection boxes; this package is a classifier")
    pipeline = ClassifierPipeline(accelerator, decoder=args.decoder, top_k=args.top)
    print(f"classifier: no detector heads in the package; top {args.top} {SCORE_KIND}", file=err)
    print(describe_decoder(pipeline.decoder), file=err)
    results = []
    for path in _images(Path(args.package), args.images):
        result = pipeline.run_file(path)
        results.append(result)
        if args.json:
            record = {
                "input": str(path),
                "top": result.top,
                "scores": [float(v) for v in result.scores],
                "score_kind": "raw",
                "seconds": result.seconds,
            }
            print(json.dumps(record), file=out)
            continue
        predicted = sum(result.seconds.get(k, 0.0) for k in PREDICT_STAGES)
        print(f"{path}: Predicted in {predicted:f} seconds (raw scores, no softmax).", file=out)
        for line in result.lines:
            print(line, file=out)
        print(timing_line(result.seconds), file=out)
    if len(results) > 1 and not args.json:
        mean = mean_seconds(results)
        print(timing_line(mean, f"mean over {len(results)} inputs"), file=out)
        print(fps_line(mean), file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; a QnnflowError becomes one `error:` line and exit code 2."""
    args = parser().parse_intermixed_args(argv)
    try:
        return run(args)
    except QnnflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
