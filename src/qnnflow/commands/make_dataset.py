"""`qnnflow make-dataset`: the seeded procedural detection dataset (Darknet folder layout) or,
with `--task classify`, a folder-per-class classification dataset (digits or single shapes)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from qnnflow.commands.options import parse_size
from qnnflow.errors import QnnflowError

DETECT_COUNTS = {"train": 2000, "val": 200, "test": 200}
DEFAULT_SIZE = {"detect": (224, 224), "classify": (32, 32)}


def _square_or_hxw(ctx: click.Context, param: object, value: str | None) -> tuple[int, int] | None:
    """`--size 224` or `--size 160x224` (height x width)."""
    if value is None:
        return None
    if "x" not in value.lower():
        try:
            side = int(value)
        except ValueError:
            raise click.BadParameter(f"expected N or HxW, got '{value}'") from None
        value = f"{side}x{side}"
    size = parse_size(ctx, param, value)
    assert size is not None
    return size


@click.command("make-dataset")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.option(
    "--task",
    type=click.Choice(["detect", "classify"]),
    default="detect",
    show_default=True,
    help="detect: scenes with boxes; classify: one class per image, OUT/<split>/<class>/*.png.",
)
@click.option(
    "--source",
    type=click.Choice(["digits", "shapes"]),
    default=None,
    help="classify: scikit-learn's digits (gray, fixed 70/10/20 split) or single shapes (RGB).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--size", default=None, callback=_square_or_hxw, help="N or HxW pixels [224; classify: 32]."
)
@click.option("--train", "n_train", type=int, default=None, help="Images [2000; shapes: 4000].")
@click.option("--val", "n_val", type=int, default=None, help="Images [200; shapes: 500].")
@click.option("--test", "n_test", type=int, default=None, help="Images [200; shapes: 1000].")
@click.option(
    "--format", "image_format", type=click.Choice(["jpg", "png"]), default=None, help="[jpg]"
)
@click.option("--plain", is_flag=True, help="Black background, no distractors or textures.")
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset folder.")
def make_dataset_cmd(
    output, task, source, seed, size, n_train, n_val, n_test, image_format, plain, overwrite
) -> None:
    """Generate circles, rectangles, triangles and ellipses (1-4 per image, 20-120 px at 224,
    textured, partly occluded) on cluttered backgrounds, with exact boxes, as
    images/<split>/, labels/<split>/, <split>.txt, names.txt and dataset.json.

    With --task classify --source digits|shapes: OUT/<split>/<class>/<n>.png (8-bit PNG),
    OUT/classes.txt (sorted class names = class index) and OUT/dataset.json."""
    size = size or DEFAULT_SIZE[task]
    given = {"train": n_train, "val": n_val, "test": n_test}
    if task == "classify":
        _classify(output, source, seed, size, given, image_format, plain, overwrite)
        return
    if source is not None:
        raise QnnflowError("--source applies to --task classify only")
    from qnnflow.data.scene import SceneConfig
    from qnnflow.data.writer import generate_dataset

    height, width = size
    cfg = SceneConfig(width=width, height=height, clutter=not plain, textures=not plain)
    counts = {k: DETECT_COUNTS[k] if v is None else v for k, v in given.items()}
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task_bar = bar.add_task("images", total=max(sum(counts.values()), 0))
        info = generate_dataset(
            output,
            seed,
            counts,
            cfg,
            image_format or "jpg",
            overwrite,
            lambda n: bar.advance(task_bar, n),
        )
    totals = ", ".join(
        f"{k} {v['images']} images/{v['objects']} objects" for k, v in info["splits"].items()
    )
    Console(soft_wrap=True).print(f"wrote {output}: {totals}", highlight=False)


def _classify(output, source, seed, size, given, image_format, plain, overwrite) -> None:
    from qnnflow.classify.datasets import DEFAULT_SHAPE_COUNTS
    from qnnflow.classify.folder import make_classification_dataset

    if source is None:
        raise QnnflowError("--task classify needs --source digits or --source shapes")
    if image_format == "jpg":
        raise QnnflowError("classification datasets are written as PNG (lossless): drop --format")
    counts = None
    if any(v is not None for v in given.values()):
        if source == "digits":
            raise QnnflowError("digits has a fixed 70/10/20 split of its 1797 images: drop counts")
        counts = {k: DEFAULT_SHAPE_COUNTS[k] if v is None else v for k, v in given.items()}
    info = make_classification_dataset(output, source, seed, size, counts, plain, overwrite)
    totals = ", ".join(f"{k} {v['images']} images" for k, v in info["splits"].items())
    classes = len(info["classes"])
    Console(soft_wrap=True).print(
        f"wrote {output}: {source}, {classes} classes, {totals}", highlight=False
    )
