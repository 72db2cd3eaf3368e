"""Shared by the numbered flow scripts: run one build step (or a range) through the API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig, run_build

ROOT = Path(__file__).resolve().parents[1]


def run_step(step: str, description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=ROOT / "data/models/tinier-yolo-mini.cfg")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--board", default="pynq_z2")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    try:
        cfg = BuildConfig(
            model=args.model,
            weights=args.weights,
            board=args.board,
            output_root=args.out,
            from_step=step,
            to_step=step,
        )
        result = run_build(cfg)
    except QnnflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"{step}: done, outputs in {result.output_dir}")
