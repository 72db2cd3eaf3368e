"""`qnnflow train-classifier`: seeded CPU training of a benchmark classifier on a
folder-per-class dataset (`qnnflow make-dataset --task classify`), written as .pth, float
ONNX and .train.json."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from qnnflow.errors import QnnflowError

# what of the dataset's dataset.json the record keeps: enough to regenerate it
DATASET_KEYS = ("format", "source", "seed", "image_size", "channels", "plain")


def dataset_summary(data_dir: Path) -> dict | None:
    """The regeneration recipe of a `make-dataset --task classify` folder, else None."""
    path = data_dir / "dataset.json"
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise QnnflowError(f"{path}: unreadable dataset description ({exc})") from None
    summary = {k: info[k] for k in DATASET_KEYS if k in info}
    summary["images"] = {s: v["images"] for s, v in info.get("splits", {}).items()}
    return summary


@click.command("train-classifier")
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder-per-class dataset: train/<class>/*.png (val/, test/ scored when present).",
)
@click.option(
    "--arch",
    type=click.Choice(["small-cnn", "small-resnet"]),
    default="small-cnn",
    show_default=True,
)
@click.option("--epochs", type=int, default=20, show_default=True)
@click.option("--batch", type=int, default=64, show_default=True)
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--weight-decay", type=float, default=5e-4, show_default=True)
@click.option(
    "--optimizer", type=click.Choice(["adamw", "sgd"]), default="adamw", show_default=True
)
@click.option(
    "--augment",
    type=click.Choice(["none", "shift", "shift-flip"]),
    default="none",
    show_default=True,
    help="Random +-2 px shifts (and horizontal flips: not for digits).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--limit",
    type=int,
    default=None,
    help="Use at most this many training images (a seeded random subset).",
)
@click.option("--name", default=None, help="Output base name (default: <arch>-<data folder>).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path))
def train_classifier_cmd(
    data_dir, arch, epochs, batch, lr, weight_decay, optimizer, augment, seed, limit, name, out
) -> None:
    """Train deterministically (fixed seed, deterministic algorithms; same thread count ->
    same weights) and write OUT/<name>.pth, .onnx and .train.json (preprocessing, accuracy
    per split, time, versions)."""
    from qnnflow.classify.artifacts import save_classifier
    from qnnflow.classify.train import TrainConfig, train_classifier
    from qnnflow.commands.progress_view import progress_bars

    cfg = TrainConfig(
        arch=arch,
        epochs=epochs,
        batch_size=batch,
        lr=lr,
        weight_decay=weight_decay,
        optimizer=optimizer,
        augment=augment,
        seed=seed,
        limit=limit,
    )
    name = name or f"{arch}-{data_dir.resolve().name}"
    with progress_bars():
        trained = train_classifier(data_dir, cfg)
    record = save_classifier(trained, out, name, dataset_summary(data_dir))
    scores = ", ".join(
        f"{split} {s['top1']:.2f}% ({s['correct']}/{s['images']})"
        for split, s in record["accuracy"].items()
    )
    Console(soft_wrap=True).print(
        f"trained {name} ({record['parameters']} parameters) in {record['train_seconds']} s; "
        f"top-1 {scores}; wrote {out / (name + '.onnx')}",
        highlight=False,
    )
