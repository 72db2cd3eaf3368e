"""The image preprocessing options (--input-size, --mean, --std, --channels, --resize) shared
by the commands that turn images into network inputs (evaluate, quantize's --calib-dir)."""

from __future__ import annotations

from collections.abc import Callable

import click

from qnnflow.commands.options import parse_size
from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.preprocess import CHANNEL_ORDERS, RESIZE_MODES, parse_channel_values

PREPROCESS_KEYS = ("input_size", "mean", "std", "channels", "resize")


def _values(what: str) -> Callable:
    def parse(ctx: click.Context | None, param: object, value: str | None):
        if value is None:
            return None
        try:
            return parse_channel_values(value, what)
        except QnnflowError as exc:
            raise click.BadParameter(str(exc)) from None

    return parse


def preprocess_options(
    command: Callable, with_input_size: bool = True, size_help: str | None = None
) -> Callable:
    """Attach the five options; each defaults to None (= the model's own default)."""
    options = [
        click.option(
            "--mean",
            callback=_values("--mean"),
            metavar="M[,M,M]",
            help="Subtracted per channel, on the 0..1 pixel scale (ImageNet: "
            "0.485,0.456,0.406; divide 0..255 constants by 255). Default 0.",
        ),
        click.option(
            "--std",
            callback=_values("--std"),
            metavar="S[,S,S]",
            help="Divides per channel after --mean, 0..1 pixel scale (ImageNet: "
            "0.229,0.224,0.225). Default 1.",
        ),
        click.option(
            "--channels",
            type=click.Choice(CHANNEL_ORDERS),
            help="Channel order fed to the model; gray = BT.601 luma. "
            "Default: gray for a 1-channel model, else rgb.",
        ),
        click.option(
            "--resize",
            type=click.Choice(RESIZE_MODES),
            help="letterbox = keep the aspect, pad with 0.5 grey (Darknet); stretch = "
            "resize to HxW; center-crop = resize the short side, cut the centre. "
            "Default stretch.",
        ),
    ]
    if with_input_size:
        options.insert(
            0,
            click.option(
                "--input-size",
                callback=parse_size,
                metavar="HxW",
                help=size_help or "Network input height x width. Default: the model's.",
            ),
        )
    for option in reversed(options):
        command = option(command)
    return command


def chosen_preprocess(values: dict) -> dict:
    """The preprocessing options among a command's keyword arguments."""
    return {key: values.get(key) for key in PREPROCESS_KEYS}
