"""Option parsers shared by several subcommands."""

from __future__ import annotations

import click


def parse_size(
    ctx: click.Context | None, param: object, value: str | None
) -> tuple[int, int] | None:
    """Click callback for `--input-size HxW`."""
    if value is None:
        return None
    parts = value.lower().split("x")
    try:
        height, width = (int(p) for p in parts)
    except ValueError:
        raise click.BadParameter(f"expected HxW such as 416x416, got '{value}'") from None
    if height <= 0 or width <= 0:
        raise click.BadParameter(f"sizes must be positive, got '{value}'")
    return height, width


input_size_option = click.option(
    "--input-size",
    callback=parse_size,
    metavar="HxW",
    help="Override the cfg's [net] height x width (e.g. 416x416).",
)

decoder_option = click.option(
    "--decoder",
    type=click.Choice(["darknet", "pillow"]),
    default=None,
    help="Image decoder: darknet = stb_image, Darknet's own (default for Darknet models; "
    "needs libstb-dev + g++ or Debian's darknet), pillow = Pillow (default for others).",
)

first_last_option = click.option(
    "--first-last",
    type=click.Choice(["host", "fabric"]),
    default="host",
    show_default=True,
    help="Trained .npz models: conv0/conv8 as float host convs (the board's split) or "
    "quantized (8-bit image and weights) so the flow puts them in hardware too.",
)


def target_scope_option(default: str = "accelerator"):
    """`--target-scope`: whether --target-fps is the accelerator's rate or the whole
    pipeline's (host stages included), shared by build and estimate."""
    from qnnflow.flow.config import TARGET_SCOPES

    return click.option(
        "--target-scope",
        type=click.Choice(TARGET_SCOPES),
        default=default,
        show_default=True,
        help="What --target-fps aims at: the accelerator alone, or end to end (the folder "
        "still aims the accelerator at it, but first refuses a target the host stages, "
        "scaled to the board's ARM, cannot reach).",
    )
