"""`qnnflow detect --model MODEL IMAGE...`: Darknet-style detections from any detector."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from qnnflow.commands.options import decoder_option


@click.command("detect")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Detector: an .onnx (import-darknet/import-binparams/quantize), a Darknet "
    ".cfg with its .weights beside it, or a build directory.",
)
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--level",
    type=click.Choice(["python"]),
    default="python",
    show_default=True,
    help="Execution level: python runs the graph in numpy/onnxruntime via qonnx.",
)
@click.option(
    "--thresh",
    type=float,
    default=0.3,
    show_default=True,
    help="Probability threshold (objectness x class).",
)
@click.option("--nms", type=float, default=0.3, show_default=True, help="NMS IoU threshold.")
@click.option(
    "--names",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Class names, one per line (default: from the model, else class<N>).",
)
@click.option("--json", "as_json", is_flag=True, help="Print boxes in image pixels as JSON.")
@decoder_option
def detect_cmd(model_path, images, level, thresh, nms, names, as_json, decoder) -> None:
    """Letterbox each image, run the network, decode region/yolo heads, NMS, and print
    `name: NN%` lines as Darknet does (or JSON with pixel boxes)."""
    from qnnflow.detector import load_detector

    detector = load_detector(model_path, names, thresh, nms, decoder)
    console = Console(soft_wrap=True)
    results = [detector.detect(image) for image in images]
    if as_json:
        payload = [{"image": r.image, "detections": r.boxes, "seconds": r.seconds} for r in results]
        click.echo(json.dumps(payload, indent=2))
        return
    for result in results:
        timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.seconds.items())
        console.print(f"{result.image}: predicted in {timing}")
        for line in result.lines:
            click.echo(line)
