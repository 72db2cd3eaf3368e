"""Entropy (KL) activation calibration: Brevitas has none, so it runs after Brevitas' pass."""

from __future__ import annotations


def apply_entropy_calibration(qmodule, batches) -> None:
    pass
