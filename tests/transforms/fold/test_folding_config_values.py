"""A folding config of the wrong shape or with wrongly typed values is one QnnflowError naming
the file, node and attribute (never an AttributeError, and `PE: true` is not PE=1)."""

from __future__ import annotations

import json
import math

import pytest

from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.ops.graph_queries import hw_op
from qnnflow.transforms.fold import ApplyFoldingConfig, AutoFold
from tests.transforms.fold.test_folding import small_params


@pytest.fixture(scope="module")
def model():
    return hidden_layers_model(small_params())


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (
            [{"conv1_mvu": {"PE": 1}}],
            "must be a JSON object {node name: {attribute: value}}, got a list",
        ),
        ("PE=4", "got a str"),
        ({"conv1_mvu": [1, 2]}, "'conv1_mvu' must map to an object of attributes, got a list"),
        ({"conv1_mvu": {"PE": True}}, "'conv1_mvu'.PE must be an integer, got True"),
        ({"conv1_mvu": {"SIMD": 2.0}}, "'conv1_mvu'.SIMD must be an integer, got 2.0"),
        ({"conv1_mvu": {"PE": "4"}}, "'conv1_mvu'.PE must be an integer, got '4'"),
        ({"conv1_mvu": {"mem_mode": 1}}, "'conv1_mvu'.mem_mode must be a string, got 1"),
    ],
)
def test_bad_config_file_is_one_error_naming_file_node_attribute(model, tmp_path, config, words):
    path = tmp_path / "folding.json"
    path.write_text(json.dumps(config))
    with pytest.raises(QnnflowError) as info:
        model.transform(ApplyFoldingConfig(path))
    assert str(info.value).startswith(f"{path}: folding config")
    assert words in str(info.value) and "\n" not in str(info.value)


def test_an_integer_value_still_applies(model):
    folded = model.transform(ApplyFoldingConfig({"conv1_mvu": {"PE": 2}}))
    node = next(n for n in folded.graph.node if n.name == "conv1_mvu")
    assert hw_op(node).get_nodeattr("PE") == 2


@pytest.mark.parametrize("fps", [0, -3.0, math.nan, math.inf, True])
def test_auto_fold_refuses_a_target_that_is_not_positive_and_finite(fps):
    with pytest.raises(QnnflowError, match="target fps must be a positive finite number"):
        AutoFold(load_board("pynq_z2"), fps)
