"""`qnnflow make-dataset`: the seeded procedural detection dataset (Darknet folder layout)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from qnnflow.commands.options import parse_size


def _square_or_hxw(ctx: click.Context, param: object, value: str) -> tuple[int, int]:
    """`--size 224` or `--size 160x224` (height x width)."""
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
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--size", default="224", show_default=True, callback=_square_or_hxw, help="N or HxW pixels."
)
@click.option("--train", "n_train", type=int, default=2000, show_default=True)
@click.option("--val", "n_val", type=int, default=200, show_default=True)
@click.option("--test", "n_test", type=int, default=200, show_default=True)
@click.option(
    "--format", "image_format", type=click.Choice(["jpg", "png"]), default="jpg", show_default=True
)
@click.option("--plain", is_flag=True, help="Black background, no distractors or textures.")
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset folder.")
def make_dataset_cmd(
    output, seed, size, n_train, n_val, n_test, image_format, plain, overwrite
) -> None:
    """Generate circles, rectangles, triangles and ellipses (1-4 per image, 20-120 px at 224,
    textured, partly occluded) on cluttered backgrounds, with exact boxes, as
    images/<split>/, labels/<split>/, <split>.txt, names.txt and dataset.json."""
    from qnnflow.data.scene import SceneConfig
    from qnnflow.data.writer import generate_dataset

    height, width = size
    cfg = SceneConfig(width=width, height=height, clutter=not plain, textures=not plain)
    counts = {"train": n_train, "val": n_val, "test": n_test}
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("images", total=max(sum(counts.values()), 0))
        info = generate_dataset(
            output, seed, counts, cfg, image_format, overwrite, lambda n: bar.advance(task, n)
        )
    totals = ", ".join(
        f"{k} {v['images']} images/{v['objects']} objects" for k, v in info["splits"].items()
    )
    Console(soft_wrap=True).print(f"wrote {output}: {totals}", highlight=False)
