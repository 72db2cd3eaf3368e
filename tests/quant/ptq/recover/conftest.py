"""One trained digits CNN per session (a few seconds), shared by the recovery tests."""

from __future__ import annotations

import pytest
import torch

from tests.quant.ptq.recover.digits_setup import Digits, load_digits_splits, train_float

BITS = 3  # W3A3 per-tensor: every method has error to recover


@pytest.fixture(scope="session")
def digits() -> Digits:
    return load_digits_splits(seed=0)


@pytest.fixture(scope="session")
def float_model(digits: Digits) -> torch.fx.GraphModule:
    return train_float(digits, epochs=10, seed=0)


@pytest.fixture(scope="session")
def calib(digits: Digits) -> list[torch.Tensor]:
    return digits.calib_batches()
