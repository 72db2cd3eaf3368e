"""`qnnflow quantize` on bad input: one `error:` line, exit code 2, and nothing written in the
output folder (no OUT.onnx, quant_info, QCDQ or temporary file)."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.cli import main
from tests.commands import ptq_nets
from tests.commands.ptq_cli import make_tiny_files

pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_files(tmp_path_factory.mktemp("tiny"))


def _refused(args: list, tmp_path, capsys, *, out_name: str = "out.onnx") -> str:
    """Run `qnnflow quantize ARGS -o OUT --qcdq ...` into an empty folder: exit 2, one line,
    the folder still empty. Returns the message."""
    folder = tmp_path / "written"
    folder.mkdir()
    argv = ["quantize", *map(str, args), "-o", str(folder / out_name)]
    argv += ["--qcdq", str(folder / "out_qcdq.onnx")]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == []
    return err


def _npy(tmp_path, array: np.ndarray):
    path = tmp_path / "data.npy"
    np.save(path, array.astype(np.float32))
    return path


def test_empty_calibration_dir(tiny, tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    err = _refused([tiny.onnx, "--calib-dir", empty], tmp_path, capsys)
    assert str(empty) in err and "image" in err


def test_calibration_data_of_the_wrong_size(tiny, tmp_path, capsys):
    data = _npy(tmp_path, np.zeros((4, 1, 16, 16)))
    err = _refused([tiny.onnx, "--calib-data", data], tmp_path, capsys)
    assert "N x 1 x 8 x 8" in err and "4 x 1 x 16 x 16" in err


def test_nan_in_calibration_data(tiny, tmp_path, capsys):
    array = np.zeros((4, 1, 8, 8))
    array[2, 0, 3, 3] = np.nan
    err = _refused([tiny.onnx, "--calib-data", _npy(tmp_path, array)], tmp_path, capsys)
    assert "NaN" in err and "sample 2" in err


def test_input_size_that_does_not_match_the_model(tiny, tmp_path, capsys):
    args = [tiny.onnx, "--calib-dir", tiny.images, "--input-size", "16x16"]
    err = _refused(args, tmp_path, capsys)
    assert "16" in err and "8" in err


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("layers:\n  conv9: float\n", "'conv9' matches no layer"),
        ("layers:\n  conv1_Conv: {weight_bits: 9}\n", "weight_bits must be an integer in 1..8"),
        ("layers:\n  fc_Gemm: {act_bits: 0}\n", "act_bits must be an integer in 1..8"),
    ],
)
def test_bad_mixed_config(yaml, expected, tiny, tmp_path, capsys):
    config = tmp_path / "mixed.yaml"
    config.write_text(yaml)
    args = [tiny.onnx, "--calib-data", tiny.calib, "--mixed", config]
    assert expected in _refused(args, tmp_path, capsys)


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("w9a8", "weight bits"),
        ("w0a4", "weight bits"),
        ("w4a9", "activation bits"),
        ("int7", "int7"),
    ],
)
def test_scheme_bits_out_of_range(scheme, expected, tiny, tmp_path, capsys):
    args = [tiny.onnx, "--calib-data", tiny.calib, "--scheme", scheme]
    err = _refused(args, tmp_path, capsys)
    assert expected in err and scheme in err


def test_untraceable_model(tiny, tmp_path, capsys):
    args = [tiny.state_dict, "--model-def", ptq_nets.model_def("DataDependent")]
    args += ["--input-size", "8x8", "--calib-data", tiny.calib]
    err = _refused(args, tmp_path, capsys)
    assert str(tiny.state_dict) in err or "DataDependent" in err


def test_state_dict_without_model_definition(tiny, tmp_path, capsys):
    args = [tiny.state_dict, "--input-size", "8x8", "--calib-data", tiny.calib]
    assert "--model-def" in _refused(args, tmp_path, capsys)


def test_model_that_does_not_exist(tiny, tmp_path, capsys):
    missing = tmp_path / "nope.onnx"
    assert str(missing) in _refused([missing, "--calib-data", tiny.calib], tmp_path, capsys)


def test_output_that_is_not_onnx(tiny, tmp_path, capsys):
    args = [tiny.onnx, "--calib-data", tiny.calib]
    assert ".onnx" in _refused(args, tmp_path, capsys, out_name="out.json")


def test_both_calibration_sources(tiny, tmp_path, capsys):
    args = [tiny.onnx, "--calib-data", tiny.calib, "--calib-dir", tiny.images]
    assert "exactly one of --calib-dir" in _refused(args, tmp_path, capsys)


def test_no_calibration_source(tiny, tmp_path, capsys):
    assert "exactly one of --calib-dir" in _refused([tiny.onnx], tmp_path, capsys)


def test_two_different_models(tiny, tmp_path, capsys):
    args = [tiny.onnx, "--model", tiny.torchscript, "--calib-data", tiny.calib]
    assert "two models" in _refused(args, tmp_path, capsys)
