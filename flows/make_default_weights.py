"""Generate the default model's weights deterministically (stand-in until a trained model).

Usage: python flows/make_default_weights.py [CFG] [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from qnnflow.frontend.darknet import load_network, write_weights
from qnnflow.frontend.darknet.random_init import random_weights

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CFG = ROOT / "data" / "models" / "tinier-yolo-mini.cfg"
SEED = 2026


def main(argv: list[str]) -> None:
    cfg = Path(argv[0]) if argv else DEFAULT_CFG
    out = Path(argv[1]) if len(argv) > 1 else cfg.with_suffix(".weights")
    network = load_network(cfg)
    write_weights(out, random_weights(network, seed=SEED), network)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
