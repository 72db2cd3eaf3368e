"""Schemes, option validation and the mixed-precision config."""

from __future__ import annotations

import pytest

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.mixed import LayerRule, load_mixed_config, resolve_rules
from qnnflow.quant.ptq.options import PTQOptions, parse_scheme


@pytest.mark.parametrize(
    ("text", "bits"),
    [("int8", (8, 8)), ("w4a4", (4, 4)), ("W1A3", (1, 3)), ("w1a1", (1, 1)), ("w8a2", (8, 2))],
)
def test_parse_scheme(text, bits):
    assert parse_scheme(text) == bits


@pytest.mark.parametrize("text", ["int4", "w9a8", "w0a4", "w4", "fp16"])
def test_parse_scheme_rejects(text):
    with pytest.raises(QnnflowError, match=f"'{text}'"):
        parse_scheme(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight_bits": 9}, "weight bits"),
        ({"act_bits": 0}, "activation bits"),
        ({"weight_granularity": "group"}, "weight granularity 'group'"),
        ({"scale": "log"}, "scale 'log'"),
        ({"act_sign": "both"}, "activation sign"),
        ({"bias_bits": 8}, "bias bits '8'"),
        ({"calib_method": "kl"}, "calibration method 'kl'"),
        ({"percentile": 0.0}, "percentile"),
        ({"calib_method": "entropy", "act_symmetric": False}, "symmetric"),
        ({"output_bits": 12}, "output bits"),
    ],
)
def test_options_validate(kwargs, message):
    with pytest.raises(QnnflowError, match=message):
        PTQOptions(**kwargs)


def test_mixed_config_reads_rules_in_order(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "layers:\n  conv1: {weight_bits: 4, act_bits: 4}\n"
        '  "head.*": float\n  fc: {weight_bits: 8}\n'
    )
    rules = load_mixed_config(path)
    assert rules == (
        LayerRule("conv1", 4, 4, False),
        LayerRule("head.*", None, None, True),
        LayerRule("fc", 8, None, False),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layers:\n  conv1: {weight_bits: 9}\n", "conv1' weight_bits must be an integer in 1..8"),
        ("layers:\n  conv1: {act_bits: 0}\n", "act_bits must be an integer in 1..8"),
        ("layers:\n  conv1: {wbits: 4}\n", "unknown key 'wbits'"),
        ("layers:\n  conv1: int8\n", "needs 'float' or a mapping"),
        ("layer:\n  conv1: float\n", "top-level 'layers:'"),
        ("layers: {conv1: float}\nextra: 1\n", "unknown key 'extra'"),
        ("layers: [\n", "not valid YAML"),
    ],
)
def test_mixed_config_errors_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(QnnflowError, match=message) as err:
        load_mixed_config(path)
    assert str(path) in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(QnnflowError, match="cannot read"):
        load_mixed_config(tmp_path / "absent.yaml")


def test_rules_first_match_wins_and_unknown_layers_are_named():
    names = ["conv1", "head.0", "head.1", "fc"]
    rules = (LayerRule("head.1", 2, 2, False), LayerRule("head.*", None, None, True))
    chosen = resolve_rules(rules, names)
    assert chosen == {"head.0": rules[1], "head.1": rules[0]}
    with pytest.raises(QnnflowError, match=r"'conv9' matches no layer.*conv1, head.0, head.1, fc"):
        resolve_rules((LayerRule("conv9", 4, 4, False),), names)
