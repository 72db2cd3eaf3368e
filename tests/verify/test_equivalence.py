"""The equivalence check passes identical rewrites and names the first broken node."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.transformation.base import Transformation

from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.transforms.fold import ApplyFoldingConfig
from qnnflow.verify import EquivalenceError, check_equivalent, verified_transform
from tests.transforms.fold.test_folding import small_params


class FlipOneWeight(Transformation):
    """A deliberately wrong rewrite: negates one weight of conv2."""

    def apply(self, model):
        weights = model.get_initializer("conv2_W").copy()
        weights[0, 0] *= -1
        model.set_initializer("conv2_W", weights)
        return model, False


@pytest.fixture
def setup():
    model = hidden_layers_model(small_params(size=16))
    shape = [int(d) for d in model.get_tensor_shape("codes")]
    x = np.random.default_rng(0).integers(0, 8, size=shape).astype(np.float32)
    return model, {"codes": x}


def test_folding_is_verified_equivalent(setup):
    model, inputs = setup
    verified_transform(model, ApplyFoldingConfig({"conv1_mvu": {"PE": 4}}), inputs)


def test_broken_rewrite_names_first_differing_node(setup):
    model, inputs = setup
    with pytest.raises(
        EquivalenceError,
        match="FlipOneWeight changed the result: first differing node MatrixVectorUnit 'conv2_mvu'",
    ):
        verified_transform(model, FlipOneWeight(), inputs)


def test_identical_models_pass(setup):
    model, inputs = setup
    check_equivalent(model, model, inputs)
