"""`qnnflow train`: train a Darknet cfg on a dataset folder (float or W1A3 QAT) and write
Darknet cfg+weights, the QONNX export and a JSON log."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console


@click.command("train")
@click.option("--cfg", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--weights",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Start weights (default: seeded random ones).",
)
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset folder: images/<split>/, labels/<split>/ (class cx cy w h), <split>.txt.",
)
@click.option("--split", default="train", show_default=True)
@click.option("--scheme", type=click.Choice(["float", "w1a3"]), default="w1a3", show_default=True)
@click.option(
    "--first-last-bits",
    default="8",
    show_default=True,
    help="w1a3: bit width of the first/last conv weights, or 'float'.",
)
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch", type=int, default=16, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--optimizer", type=click.Choice(["adam", "sgd"]), default="adam", show_default=True)
@click.option(
    "--schedule", type=click.Choice(["cosine", "step"]), default="cosine", show_default=True
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--limit", type=int, default=None, help="Use at most this many images.")
@click.option("--name", default=None, help="Output base name (default: the cfg's stem).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path))
def train_cmd(
    cfg,
    weights,
    data_dir,
    split,
    scheme,
    first_last_bits,
    epochs,
    batch,
    lr,
    optimizer,
    schedule,
    seed,
    limit,
    name,
    out,
) -> None:
    """Train with the YOLOv2 region loss (CUDA when available) and write OUT/<name>.cfg,
    .weights (float, for the Darknet path), .onnx (QONNX) and .train.json (loss per epoch)."""
    from qnnflow.commands.progress_view import progress_bars
    from qnnflow.commands.quantize_args import first_last_precision
    from qnnflow.quant.qat.pipeline import train_darknet
    from qnnflow.quant.qat.scheme import QatScheme
    from qnnflow.quant.qat.trainer import TrainOptions

    chosen = QatScheme(scheme, 3, first_last_precision(first_last_bits))
    opts = TrainOptions(
        epochs=epochs, batch=batch, lr=lr, optimizer=optimizer, schedule=schedule, seed=seed
    )
    with progress_bars():
        record = train_darknet(
            cfg, weights, data_dir, chosen, opts, out, name or cfg.stem, split, limit
        )
    first, last = record["epochs"][0]["total"], record["epochs"][-1]["total"]
    Console(soft_wrap=True).print(
        f"trained {len(record['epochs'])} epochs on {record['images']} images "
        f"(loss {first:.4f} -> {last:.4f}); wrote {record['weights']}, {record['qonnx']}"
    )
