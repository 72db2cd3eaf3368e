"""Malformed ONNX through the CLI, in-process: every case is one `error:` line, exit code 2,
no "internal error" and no output folder; the valid variants (no value_info, symbolic batch,
symbolic H/W with --input-size) get through import, tidy and verify."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from qnnflow.cli import main
from tests.frontend.onnx_import.models import small_cnn, with_initializer

VALID = small_cnn().SerializeToString()


def _edited(edit: Callable[[onnx.ModelProto], None], model: onnx.ModelProto | None = None) -> bytes:
    proto = onnx.ModelProto()
    proto.CopyFrom(model or small_cnn())
    edit(proto)
    return proto.SerializeToString()


def _add_input(proto: onnx.ModelProto) -> None:
    proto.graph.input.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 3]))


def _int_input(proto: onnx.ModelProto) -> None:
    proto.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64


def _unknown_op(proto: onnx.ModelProto) -> None:
    proto.graph.node[2].op_type = "FancyRelu"


def _custom_domain_op(proto: onnx.ModelProto) -> None:
    proto.graph.node[2].domain = "example.unknown"
    proto.opset_import.append(helper.make_opsetid("example.unknown", 1))


def _no_default_opset(proto: onnx.ModelProto) -> None:
    proto.opset_import[0].domain = "example.unknown"


def _nan_constant(proto: onnx.ModelProto) -> None:
    value = helper.make_tensor("k", TensorProto.FLOAT, [1], [float("nan")])
    proto.graph.node.insert(0, helper.make_node("Constant", [], ["k"], name="k", value=value))
    proto.graph.node[-1].input[:] = ["p1", "w2"]
    proto.graph.node.append(helper.make_node("Add", ["y0", "k"], ["y"], name="add"))
    proto.graph.node[-2].output[:] = ["y0"]


def _no_nodes(proto: onnx.ModelProto) -> None:
    del proto.graph.node[:]


def _random(seed: int, size: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def _tensor_file() -> bytes:
    return helper.make_tensor("t", TensorProto.FLOAT, [2], [1.0, 2.0]).SerializeToString()


BAD_CASES: dict[str, bytes] = {
    "empty": b"",
    "truncated_1": VALID[:1],
    "truncated_16": VALID[:16],
    "truncated_half": VALID[: len(VALID) // 2],
    "truncated_last_byte": VALID[:-1],
    "random_64": _random(1, 64),
    "random_4096": _random(2, 4096),
    "text": b"this is not a model\n",
    "png_header": b"\x89PNG\r\n\x1a\n" + bytes(32),
    "tensor_not_model": _tensor_file(),
    "unknown_opset_99": small_cnn(opset=99).SerializeToString(),
    "too_old_opset_3": small_cnn(opset=3).SerializeToString(),
    "no_default_opset": _edited(_no_default_opset),
    "dynamic_hw": small_cnn(dims=("N", 3, "H", "W")).SerializeToString(),
    "dynamic_channels": small_cnn(dims=(1, "C", 8, 8)).SerializeToString(),
    "nan_initializer": with_initializer(
        small_cnn(), "w1", np.full((4, 3, 3, 3), np.nan, np.float32)
    ).SerializeToString(),
    "inf_initializer": with_initializer(
        small_cnn(), "b1", np.array([0, np.inf, 0, 0], np.float32)
    ).SerializeToString(),
    "nan_constant_node": _edited(_nan_constant),
    "negative_bn_variance": small_cnn(variance=-0.5).SerializeToString(),
    "unknown_op": _edited(_unknown_op),
    "unknown_custom_domain": _edited(_custom_domain_op),
    "no_nodes": _edited(_no_nodes),
    "two_inputs": _edited(_add_input),
    "int_input": _edited(_int_input),
    "inconsistent_shapes": with_initializer(
        small_cnn(), "w2", np.ones((2, 5, 1, 1), np.float32)
    ).SerializeToString(),
}
# what each message must name (the file is always named first)
EXPECTED_WORDS = {
    "empty": "empty file",
    "unknown_opset_99": "opset 99",
    "too_old_opset_3": "opset 3",
    "dynamic_hw": "--input-size",
    "dynamic_channels": "axis 1",
    "nan_initializer": "initializer 'w1' (used by node 'conv1' (Conv)): 108 NaN",
    "inf_initializer": "initializer 'b1' (used by node 'conv1' (Conv)): 0 NaN and 1 Inf",
    "nan_constant_node": "node 'k' (Constant)",
    "negative_bn_variance": "node 'bn1' (BatchNormalization): variance 'bn_var'",
    "unknown_op": "FancyRelu",
    "unknown_custom_domain": "example.unknown",
    "two_inputs": "2 inputs",
    "int_input": "INT64",
}


pytestmark = pytest.mark.usefixtures("restore_logging")  # tests/conftest.py


def _build(model: Path, out: Path, *extra: str) -> list[str]:
    return ["build", "--model", str(model), "--out", str(out), "--to-step", "verify", *extra]


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_malformed_onnx_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    model = tmp_path / f"{case}.onnx"
    model.write_bytes(BAD_CASES[case])
    out = tmp_path / "out"
    code = main(_build(model, out))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: step 'import': "), err
    assert "internal error" not in err and "Traceback" not in err
    assert str(model) in lines[0]
    assert EXPECTED_WORDS.get(case, "") in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("command", ["quantize", "estimate", "sim"])
@pytest.mark.parametrize("case", ["empty", "truncated_half", "random_4096"])
def test_other_commands_refuse_malformed_onnx(command, case, tmp_path, capsys):
    model = tmp_path / f"{case}.onnx"
    model.write_bytes(BAD_CASES[case])
    output = tmp_path / "written.onnx"
    args = {
        "quantize": ["--model", str(model), "--calib-dir", str(tmp_path), "-o", str(output)],
        "estimate": [str(model), "-o", str(output)],
        "sim": [str(model)],
    }[command]
    code = main([command, *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {model}: ") and len(err.splitlines()) == 1, err
    assert not output.exists()


@pytest.mark.parametrize(
    ("name", "model", "extra"),
    [
        ("no_value_info_opset13", small_cnn(opset=13), ()),
        ("symbolic_batch_opset17", small_cnn(opset=17, dims=("N", 3, 8, 8)), ()),
        ("symbolic_hw_input_size", small_cnn(dims=("N", 3, "H", "W")), ("--input-size", "8x8")),
    ],
)
def test_valid_float_onnx_gets_through_import_tidy_verify(name, model, extra, tmp_path, capsys):
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    code = main(_build(path, tmp_path / "out", *extra))
    assert code == 0, capsys.readouterr().err
    graph = onnx.load(tmp_path / "out" / name / "01_import.onnx").graph
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 3, 8, 8]
    assert [d.dim_value for d in graph.output[0].type.tensor_type.shape.dim] == [1, 2, 4, 4]
    assert (tmp_path / "out" / name / "verify" / "verify.json").is_file()


def test_qonnx_quantizers_in_the_default_domain_are_accepted(tmp_path):
    """Older QONNX files put Quant in the default domain; they import with QONNX's."""
    from qnnflow.frontend.onnx_import import load_onnx

    model = small_cnn()
    scale, zero, bits = (
        helper.make_tensor(n, TensorProto.FLOAT, [], [v])
        for n, v in (("s", 0.5), ("z", 0.0), ("b", 4.0))
    )
    model.graph.initializer.extend([scale, zero, bits])
    model.graph.node[-1].input[0] = "q"
    quant = helper.make_node("Quant", ["p1", "s", "z", "b"], ["q"], name="quant", signed=1)
    model.graph.node.insert(len(model.graph.node) - 1, quant)
    path = tmp_path / "quant.onnx"
    onnx.save(model, path)
    loaded = load_onnx(path)
    node = next(n for n in loaded.graph.node if n.name == "quant")
    assert node.domain == "qonnx.custom_op.general"
    assert loaded.get_tensor_shape("q") == [1, 4, 4, 4]
