"""Per-layer sensitivity (`evaluate --sensitivity`) and hardware-aware automatic mixed
precision (`quantize --auto-mixed`) on the committed SmallCNN digits classifier, scored on a
small make-dataset digits subset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from qnnflow.cli import cli, main
from tests.conftest import REPO_ROOT

MODEL = REPO_ROOT / "data" / "models" / "classifiers" / "small-cnn-digits.onnx"
NORMALISE = ["--mean", "0.3056", "--std", "0.3242"]  # its training record's preprocessing
LAYERS = ["features_0_Conv", "features_4_Conv", "features_8_Conv", "classifier_Gemm"]


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("digits") / "digits"
    args = ["make-dataset", "--task", "classify", "--source", "digits", "-o", str(root)]
    result = CliRunner().invoke(cli, args, prog_name="qnnflow")
    assert result.exit_code == 0, result.output
    return root


def _data(digits: Path, images: int = 60) -> list[str]:
    calib = ["--calib-dir", str(digits / "train"), "--max-samples", "16"]
    return [*calib, *NORMALISE, "--max-images", str(images)]


def _sensitivity(digits: Path, scheme: str) -> dict:
    args = ["evaluate", "--task", "classify", "--float", str(MODEL), "--sensitivity"]
    args += ["--data", str(digits), "--split", "test", "--scheme", scheme, "--json"]
    args += _data(digits)
    result = CliRunner().invoke(cli, args, prog_name="qnnflow")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sensitivity_lists_every_layer_and_low_bits_hurt_more(digits):
    low, high = _sensitivity(digits, "w2a2"), _sensitivity(digits, "int8")
    for payload, bits in ((low, 2), (high, 8)):
        assert set(payload) >= {"task", "scheme", "model", "float_top1", "images", "rows"}
        assert payload["float_top1"] == 100.0 and payload["images"] == 60
        assert sorted(r["layer"] for r in payload["rows"]) == sorted(LAYERS)
        assert {(r["weight_bits"], r["act_bits"]) for r in payload["rows"]} == {(bits, bits)}
        drops = [r["drop_points"] for r in payload["rows"]]
        assert drops == sorted(drops, reverse=True)
        for row in payload["rows"]:
            assert row["drop_points"] == pytest.approx(payload["float_top1"] - row["top1"])
    by_layer = {r["layer"]: r["drop_points"] for r in high["rows"]}
    assert max(by_layer.values()) <= 2.0  # one int8 layer, the rest float: near lossless
    worst = low["rows"][0]
    assert worst["drop_points"] > by_layer[worst["layer"]] + 10  # 2 bits >> 8 bits


def test_one_layer_quantized_the_rest_really_float():
    from qnnflow.quant.ptq.load import load_float_model
    from qnnflow.quant.ptq.mixed import LayerRule
    from qnnflow.quant.ptq.options import PTQOptions
    from qnnflow.quant.ptq.quantize import quantize_float_model
    from qnnflow.quant.ptq.sensitivity import FLOAT_REST

    float_model = load_float_model(MODEL)
    rules = (LayerRule("features_4_Conv", 2, 2, False), FLOAT_REST)
    qmodule = quantize_float_model(float_model, PTQOptions(output_bits=None, rules=rules))
    quantized = {
        name
        for name, module in qmodule.named_modules()
        if getattr(module, "weight_quant", None) is not None
        and module.weight_quant.is_quant_enabled
    }
    assert quantized == {"features_4_Conv"}


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--quant", str(MODEL)], "--sensitivity quantizes the float model itself"),
        ([], "exactly one of --calib-dir or --calib-data"),
        (["--calib-data", "x.npy", "--max-drop", "1"], "--max-drop gates a --quant model"),
    ],
)
def test_sensitivity_misuse_is_one_line(digits, capsys, extra, message):
    args = ["evaluate", "--task", "classify", "--float", str(MODEL), "--sensitivity"]
    assert main([*args, "--data", str(digits), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err


def test_quant_without_sensitivity_is_required(digits, capsys):
    args = ["evaluate", "--task", "classify", "--float", str(MODEL), "--data", str(digits)]
    assert main(args) == 2
    assert "missing --quant MODEL (or pass --sensitivity)" in capsys.readouterr().err


def _auto_mixed(digits: Path, out: Path, *extra: str) -> list[str]:
    args = ["quantize", str(MODEL), "--auto-mixed", "--max-drop", "5", "--auto-bits", "8,2"]
    args += ["--accuracy-data", str(digits), "--accuracy-split", "test"]
    args += ["--accuracy-images", "60", "--calib-dir", str(digits / "train")]
    return [*args, "--max-samples", "16", *NORMALISE, "-o", str(out), *extra]


def _big_board(tmp_path: Path) -> Path:
    """pynq_z2 with ten times its resources: everything fits at 8 bits."""
    board = yaml.safe_load((REPO_ROOT / "boards" / "pynq_z2" / "board.yaml").read_text())
    board["resources"] = {k: 10 * v for k, v in board["resources"].items()}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(board))
    return path


@pytest.mark.slow
def test_auto_mixed_fits_the_board_and_its_yaml_requantizes_the_same(digits, tmp_path):
    big = tmp_path / "big.onnx"
    assert main(_auto_mixed(digits, big, "--board", str(_big_board(tmp_path)))) == 0
    small = tmp_path / "small.onnx"
    assert main(_auto_mixed(digits, small, "--board", "pynq_z2")) == 0
    chosen = {}
    for out in (big, small):
        info = json.loads(out.with_suffix(".quant_info.json").read_text())["auto_mixed"]
        assert info["hardware"]["fits"] and info["drop_points"] <= 5
        assert sorted(info["config"]) == sorted(LAYERS)
        chosen[out.stem] = info["config"]
    assert (
        set(chosen["big"].values()) == {8}
        and not json.loads(big.with_suffix(".quant_info.json").read_text())["auto_mixed"]["steps"]
    )
    assert sum(chosen["small"].values()) < sum(chosen["big"].values())  # pynq_z2: fewer bits
    mixed = small.with_suffix(".mixed.yaml")
    assert yaml.safe_load(mixed.read_text())["layers"] == {
        name: {"weight_bits": b, "act_bits": b} for name, b in chosen["small"].items()
    }
    again = tmp_path / "again.onnx"
    args = ["quantize", str(MODEL), "--mixed", str(mixed), "--calib-dir", str(digits / "train")]
    assert main([*args, "--max-samples", "16", *NORMALISE, "-o", str(again)]) == 0
    assert again.read_bytes() == small.read_bytes()


@pytest.mark.slow
def test_auto_mixed_impossible_budget_exits_2_writing_nothing(digits, tmp_path, capsys):
    out = tmp_path / "none.onnx"
    assert main(_auto_mixed(digits, out, "--resource-budget", "0.05", "--max-drop", "100")) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: no configuration of bits 8,2 fits pynq_z2")
    assert len(captured.err.strip().splitlines()) == 1
    assert "per-layer sensitivity" in captured.out  # the table comes with the refusal
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--scheme", "w4a4"], "--scheme: --auto-mixed chooses every layer's bits itself"),
        (["--auto-bits", "8,9"], "--auto-bits: widths must be in 2..8"),
        (["--resource-budget", "0"], "--resource-budget must be in (0, 1]"),
    ],
)
def test_auto_mixed_bad_options_are_one_line(digits, tmp_path, capsys, extra, message):
    out = tmp_path / "x.onnx"
    assert main([*_auto_mixed(digits, out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
