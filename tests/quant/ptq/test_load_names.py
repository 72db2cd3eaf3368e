"""Module names users write in mixed-precision rules: python-safe, deterministic, unique."""

from __future__ import annotations

import pytest

from qnnflow.quant.ptq.onnx_to_fx.names import NameTable, safe_name


@pytest.mark.parametrize(
    ("onnx_name", "expected"),
    [
        ("/layer1/layer1.0/conv1/Conv", "layer1_0_conv1_Conv"),
        ("/features/features.0/Conv", "features_0_Conv"),
        ("/fc/Gemm", "fc_Gemm"),
        ("l004_conv", "l004_conv"),
        ("Conv_12", "Conv_12"),
        ("0.weight:scaled", "n_0_weight_scaled"),
        ("training", "training_"),
        ("lambda", "lambda_"),
        ("", "conv_3"),
        ("///", "conv_3"),
    ],
)
def test_safe_name(onnx_name, expected):
    assert safe_name(onnx_name, "conv_3") == expected


def test_repeats_get_numbered_in_order():
    table = NameTable()
    names = [table.claim(n, "x") for n in ("a/b", "a.b", "a_b", "a_b_1", "a_b")]
    assert names == ["a_b", "a_b_1", "a_b_2", "a_b_1_1", "a_b_3"]
