"""Train the default model (data/models/tinier-yolo-mini.cfg, 224x224, 4 classes) on a
generated dataset folder: float first, then a W1A3 QAT fine-tune from the float weights.

Usage: python flows/train_default.py DATASET_DIR [--out DIR] [--float-epochs N]
       [--qat-epochs N] [--batch B] [--limit N]
Writes OUT/float/tinier-yolo-mini.{cfg,weights,onnx,train.json} and the same under OUT/w1a3/
(weights stay float, 1.6 MB; the QONNX export holds the learned activation clips).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.quant.qat.pipeline import train_darknet
from qnnflow.quant.qat.scheme import QatScheme
from qnnflow.quant.qat.trainer import TrainOptions

ROOT = Path(__file__).resolve().parents[1]
CFG = ROOT / "data" / "models" / "tinier-yolo-mini.cfg"
NAME = "tinier-yolo-mini"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "train")
    parser.add_argument("--float-epochs", type=int, default=30)
    parser.add_argument("--qat-epochs", type=int, default=22)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        float_opts = TrainOptions(args.float_epochs, args.batch, args.lr, seed=args.seed)
        first = train_darknet(
            CFG,
            None,
            args.data,
            QatScheme("float"),
            float_opts,
            args.out / "float",
            NAME,
            limit=args.limit,
        )
        qat_opts = TrainOptions(args.qat_epochs, args.batch, args.lr / 3, seed=args.seed)
        second = train_darknet(
            Path(first["cfg"]),
            Path(first["weights"]),
            args.data,
            QatScheme("w1a3"),
            qat_opts,
            args.out / "w1a3",
            NAME,
            limit=args.limit,
        )
    except QnnflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    for label, rec in (("float", first), ("w1a3", second)):
        losses = [e["total"] for e in rec["epochs"]]
        print(f"{label}: loss {losses[0]:.4f} -> {losses[-1]:.4f}; {rec['weights']}")


if __name__ == "__main__":
    main()
