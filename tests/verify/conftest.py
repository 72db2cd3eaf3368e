"""Fixtures shared by the verify tests."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.frontend.binparams import hidden_layers_model
from tests.transforms.fold.test_folding import small_params


@pytest.fixture
def setup():
    """A small hidden-layers model (16x16) and one seeded feed of its INT3 input codes."""
    model = hidden_layers_model(small_params(size=16))
    shape = [int(d) for d in model.get_tensor_shape("codes")]
    x = np.random.default_rng(0).integers(0, 8, size=shape).astype(np.float32)
    return model, {"codes": x}
